//! MulNoNan: c = a · b, 0 where b is 0, elementwise with NumPy broadcasting (floats only).
use crate::ops::math::binary::Binary;
use crate::lower::codes::BinaryOp;

pub const OP: Binary = Binary { code: BinaryOp::MulNoNan, float: |a, b| if b == 0.0 { 0.0 } else { a * b }, int: None };
