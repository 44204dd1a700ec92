//! Rsqrt: y = 1/sqrt(x), elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 6, float: |x, _| 1.0 / x.sqrt(), int: None, params: crate::ops::math::unary::no_params };
