//! Softplus: y = ln(1 + e^x), stable, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Softplus, float: |x, _| x.max(0.0) + (-x.abs()).exp().ln_1p(), int: None, params: crate::ops::math::unary::no_params };
