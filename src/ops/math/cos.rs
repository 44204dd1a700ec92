//! Cos: y = cosine, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Cos, float: |x, _| x.cos(), int: None, params: crate::ops::math::unary::no_params };
