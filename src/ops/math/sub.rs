//! Sub: c = a - b, elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;

pub const OP: Binary = Binary::new(1, |a, b| a - b, |a, b| a.wrapping_sub(b));
