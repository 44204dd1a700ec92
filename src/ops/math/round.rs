//! Round: y = round half to even, as TensorFlow does, elementwise.
use crate::ops::math::unary::Unary;

pub const OP: Unary = Unary { code: 27, float: |x, _| x.round_ties_even(), int: Some(|x| x), params: crate::ops::math::unary::no_params };
