//! Sin: y = sine, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Sin, float: |x, _| x.sin(), int: None, params: crate::ops::math::unary::no_params };
