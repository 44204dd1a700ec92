//! Neg: y = -x, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Neg, float: |x, _| -x, int: Some(|x| x.wrapping_neg()), params: crate::ops::math::unary::no_params };
