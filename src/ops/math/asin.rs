//! Asin: y = arcsine, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Asin, float: |x, _| x.asin(), int: None, params: crate::ops::math::unary::no_params };
