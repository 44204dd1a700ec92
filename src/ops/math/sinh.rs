//! Sinh: y = hyperbolic sine, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 20, float: |x, _| x.sinh(), int: None, params: crate::ops::math::unary::no_params };
