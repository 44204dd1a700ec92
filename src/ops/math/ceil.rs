//! Ceil: y = round up, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 26, float: |x, _| x.ceil(), int: None, params: crate::ops::math::unary::no_params };
