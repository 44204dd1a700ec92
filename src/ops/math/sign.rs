//! Sign: y = -1, 0 or 1, elementwise.
use crate::ops::math::unary::Unary;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::Sign, float: |x, _| if x > 0.0 { 1.0 } else if x < 0.0 { -1.0 } else { x }, int: Some(|x| x.signum()), params: crate::ops::math::unary::no_params };
