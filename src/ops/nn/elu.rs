//! Elu: y = x if x > 0 else e^x - 1, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Elu, float: |x, _| if x > 0.0 { x } else { x.exp_m1() }, int: None, params: crate::ops::math::unary::no_params };
