//! Atan2: c = atan2(a, b), elementwise with NumPy broadcasting (floats only).
use crate::ops::math::binary::Binary;

pub const OP: Binary = Binary { code: 11, float: |a, b| a.atan2(b), int: None };
