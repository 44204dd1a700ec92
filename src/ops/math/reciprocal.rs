//! Reciprocal: y = 1/x (also registered as Inv), elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 13, float: |x, _| 1.0 / x, int: None, params: crate::ops::math::unary::no_params };
