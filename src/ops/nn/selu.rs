//! Selu: y = scaled ELU, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 35, float: |x, _| 1.0507009873554805 * if x > 0.0 { x } else { 1.6732632423543772 * x.exp_m1() }, int: None, params: crate::ops::math::unary::no_params };
