//! Expm1: y = e^x - 1, accurate near 0, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Expm1, float: |x, _| x.exp_m1(), int: None, params: crate::ops::math::unary::no_params };
