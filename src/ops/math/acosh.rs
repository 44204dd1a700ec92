//! Acosh: y = inverse hyperbolic cosine, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 23, float: |x, _| x.acosh(), int: None, params: crate::ops::math::unary::no_params };
