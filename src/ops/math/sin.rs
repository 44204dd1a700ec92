//! Sin: y = sine, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 14, float: |x, _| x.sin(), int: None, params: crate::ops::math::unary::no_params };
