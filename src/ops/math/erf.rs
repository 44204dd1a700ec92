//! Erf: y = the error function, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 29, float: |x, _| crate::ops::math::erf(x), int: None, params: crate::ops::math::unary::no_params };
