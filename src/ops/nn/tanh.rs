//! Tanh: y = hyperbolic tangent, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 3, float: |x, _| x.tanh(), int: None, params: crate::ops::math::unary::no_params };
