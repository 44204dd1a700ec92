//! Atanh: y = inverse hyperbolic tangent, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Atanh, float: |x, _| x.atanh(), int: None, params: crate::ops::math::unary::no_params };
