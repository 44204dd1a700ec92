//! Reciprocal: y = 1/x (also registered as Inv), elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Reciprocal, float: |x, _| 1.0 / x, int: None, params: crate::ops::math::unary::no_params };
