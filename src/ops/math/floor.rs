//! Floor: y = round down, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Floor, float: |x, _| x.floor(), int: None, params: crate::ops::math::unary::no_params };
