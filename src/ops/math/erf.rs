//! Erf: y = the error function, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Erf, float: |x, _| crate::ops::math::erf(x), int: None, params: crate::ops::math::unary::no_params };
