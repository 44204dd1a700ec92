//! Ceil: y = round up, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Ceil, float: |x, _| x.ceil(), int: None, params: crate::ops::math::unary::no_params };
