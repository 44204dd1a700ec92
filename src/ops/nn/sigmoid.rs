//! Sigmoid: y = the logistic function, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Sigmoid, float: |x, _| 1.0 / (1.0 + (-x).exp()), int: None, params: crate::ops::math::unary::no_params };
