//! Abs: y = |x|, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 7, float: |x, _| x.abs(), int: Some(|x| x.wrapping_abs()), params: crate::ops::math::unary::no_params };
