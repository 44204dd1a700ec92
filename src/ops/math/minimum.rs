//! Minimum: c = min(a, b), elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;

pub const OP: Binary = Binary::new(5, |a, b| a.min(b), |a, b| a.min(b));
