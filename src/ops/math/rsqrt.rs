//! Rsqrt: y = 1/sqrt(x), elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Rsqrt, float: |x, _| 1.0 / x.sqrt(), int: None, params: crate::ops::math::unary::no_params };
