//! Add: c = a + b (also AddV2), elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;
use crate::lower::codes::BinaryOp;

pub const OP: Binary = Binary::new(BinaryOp::Add, |a, b| a + b, |a, b| a.wrapping_add(b));
