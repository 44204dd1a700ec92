//! Acosh: y = inverse hyperbolic cosine, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Acosh, float: |x, _| x.acosh(), int: None, params: crate::ops::math::unary::no_params };
