//! Abs: y = |x|, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Abs, float: |x, _| x.abs(), int: Some(|x| x.wrapping_abs()), params: crate::ops::math::unary::no_params };
