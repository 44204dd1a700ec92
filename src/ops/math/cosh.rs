//! Cosh: y = hyperbolic cosine, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 21, float: |x, _| x.cosh(), int: None, params: crate::ops::math::unary::no_params };
