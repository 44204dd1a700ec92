//! Log: y = natural logarithm, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Log, float: |x, _| x.ln(), int: None, params: crate::ops::math::unary::no_params };
