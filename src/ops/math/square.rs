//! Square: y = x², elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 12, float: |x, _| x * x, int: Some(|x| x.wrapping_mul(x)), params: crate::ops::math::unary::no_params };
