//! Round: y = round half to even, as TensorFlow does, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Round, float: |x, _| x.round_ties_even(), int: Some(|x| x), params: crate::ops::math::unary::no_params };
