//! Tan: y = tangent, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Tan, float: |x, _| x.tan(), int: None, params: crate::ops::math::unary::no_params };
