//! Atanh: y = inverse hyperbolic tangent, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 24, float: |x, _| x.atanh(), int: None, params: crate::ops::math::unary::no_params };
