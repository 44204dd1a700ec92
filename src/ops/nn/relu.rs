//! Relu: y = max(x, 0), elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Relu, float: |x, _| if x.is_nan() { x } else { x.max(0.0) }, int: Some(|x| x.max(0)), params: crate::ops::math::unary::no_params };
