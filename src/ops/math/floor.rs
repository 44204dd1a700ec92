//! Floor: y = round down, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 25, float: |x, _| x.floor(), int: None, params: crate::ops::math::unary::no_params };
