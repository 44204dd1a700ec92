//! Sigmoid: y = the logistic function, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 2, float: |x, _| 1.0 / (1.0 + (-x).exp()), int: None, params: crate::ops::math::unary::no_params };
