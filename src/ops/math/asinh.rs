//! Asinh: y = inverse hyperbolic sine, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 22, float: |x, _| x.asinh(), int: None, params: crate::ops::math::unary::no_params };
