//! Atan: y = arctangent, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 19, float: |x, _| x.atan(), int: None, params: crate::ops::math::unary::no_params };
