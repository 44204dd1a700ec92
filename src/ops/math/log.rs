//! Log: y = natural logarithm, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 10, float: |x, _| x.ln(), int: None, params: crate::ops::math::unary::no_params };
