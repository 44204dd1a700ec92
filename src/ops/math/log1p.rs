//! Log1p: y = ln(1 + x), accurate near 0, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 32, float: |x, _| x.ln_1p(), int: None, params: crate::ops::math::unary::no_params };
