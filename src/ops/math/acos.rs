//! Acos: y = arccosine, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Acos, float: |x, _| x.acos(), int: None, params: crate::ops::math::unary::no_params };
