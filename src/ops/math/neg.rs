//! Neg: y = -x, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 8, float: |x, _| -x, int: Some(|x| x.wrapping_neg()), params: crate::ops::math::unary::no_params };
