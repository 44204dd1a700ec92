//! Softsign: y = x / (1 + |x|), elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Softsign, float: |x, _| x / (1.0 + x.abs()), int: None, params: crate::ops::math::unary::no_params };
