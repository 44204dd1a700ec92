//! Asin: y = arcsine, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 17, float: |x, _| x.asin(), int: None, params: crate::ops::math::unary::no_params };
