//! Atan: y = arctangent, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Atan, float: |x, _| x.atan(), int: None, params: crate::ops::math::unary::no_params };
