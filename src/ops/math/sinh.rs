//! Sinh: y = hyperbolic sine, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Sinh, float: |x, _| x.sinh(), int: None, params: crate::ops::math::unary::no_params };
