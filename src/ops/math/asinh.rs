//! Asinh: y = inverse hyperbolic sine, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Asinh, float: |x, _| x.asinh(), int: None, params: crate::ops::math::unary::no_params };
