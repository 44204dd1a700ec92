//! Mul: c = a · b, elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;
use crate::lower::codes::BinaryOp;

pub const OP: Binary = Binary::new(BinaryOp::Mul, |a, b| a * b, |a, b| a.wrapping_mul(b));
