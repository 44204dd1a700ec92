//! RealDiv: c = a / b (also Div, which truncates integers), elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;
use crate::lower::codes::BinaryOp;

pub const OP: Binary = Binary::new(BinaryOp::Div, |a, b| a / b, |a, b| if b == 0 { 0 } else { a.wrapping_div(b) });
