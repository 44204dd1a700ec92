//! DivNoNan: c = a / b, 0 where b is 0, elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;
use crate::lower::codes::BinaryOp;

pub const OP: Binary = Binary::new(BinaryOp::DivNoNan, |a, b| if b == 0.0 { 0.0 } else { a / b }, |a, b| if b == 0 { 0 } else { a.wrapping_div(b) });
