//! Softsign: y = x / (1 + |x|), elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 34, float: |x, _| x / (1.0 + x.abs()), int: None, params: crate::ops::math::unary::no_params };
