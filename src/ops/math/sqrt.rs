//! Sqrt: y = square root, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Sqrt, float: |x, _| x.sqrt(), int: None, params: crate::ops::math::unary::no_params };
