//! Cosh: y = hyperbolic cosine, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Cosh, float: |x, _| x.cosh(), int: None, params: crate::ops::math::unary::no_params };
