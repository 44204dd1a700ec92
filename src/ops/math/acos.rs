//! Acos: y = arccosine, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 18, float: |x, _| x.acos(), int: None, params: crate::ops::math::unary::no_params };
