//! Maximum: c = max(a, b), elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;

pub const OP: Binary = Binary::new(4, |a, b| a.max(b), |a, b| a.max(b));
