//! Tanh: y = hyperbolic tangent, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Tanh, float: |x, _| x.tanh(), int: None, params: crate::ops::math::unary::no_params };
