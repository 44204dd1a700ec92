//! Atan2: c = atan2(a, b), elementwise with NumPy broadcasting (floats only).
use crate::ops::math::binary::Binary;
use crate::lower::codes::BinaryOp;

pub const OP: Binary = Binary { code: BinaryOp::Atan2, float: |a, b| a.atan2(b), int: None };
