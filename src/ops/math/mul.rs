//! Mul: c = a · b, elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;

pub const OP: Binary = Binary::new(2, |a, b| a * b, |a, b| a.wrapping_mul(b));
