//! Erfc: y = the complementary error function, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Erfc, float: |x, _| 1.0 - crate::ops::math::erf(x), int: None, params: crate::ops::math::unary::no_params };
