//! Tan: y = tangent, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 16, float: |x, _| x.tan(), int: None, params: crate::ops::math::unary::no_params };
