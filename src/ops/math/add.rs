//! Add: c = a + b (also AddV2), elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;

pub const OP: Binary = Binary::new(0, |a, b| a + b, |a, b| a.wrapping_add(b));
