//! Cos: y = cosine, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 15, float: |x, _| x.cos(), int: None, params: crate::ops::math::unary::no_params };
