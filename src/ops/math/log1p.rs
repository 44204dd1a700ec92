//! Log1p: y = ln(1 + x), accurate near 0, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Log1p, float: |x, _| x.ln_1p(), int: None, params: crate::ops::math::unary::no_params };
