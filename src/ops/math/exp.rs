//! Exp: y = e^x, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Exp, float: |x, _| x.exp(), int: None, params: crate::ops::math::unary::no_params };
