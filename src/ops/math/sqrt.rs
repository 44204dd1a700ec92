//! Sqrt: y = square root, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 11, float: |x, _| x.sqrt(), int: None, params: crate::ops::math::unary::no_params };
