//! Exp: y = e^x, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 9, float: |x, _| x.exp(), int: None, params: crate::ops::math::unary::no_params };
