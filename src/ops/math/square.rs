//! Square: y = x², elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Square, float: |x, _| x * x, int: Some(|x| x.wrapping_mul(x)), params: crate::ops::math::unary::no_params };
