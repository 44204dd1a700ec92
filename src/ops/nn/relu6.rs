//! Relu6: y = min(max(x, 0), 6), elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Relu6, float: |x, _| x.clamp(0.0, 6.0), int: Some(|x| x.clamp(0, 6)), params: crate::ops::math::unary::no_params };
