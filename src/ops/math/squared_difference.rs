//! SquaredDifference: c = (a - b)², elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;

pub const OP: Binary = Binary::new(7, |a, b| (a - b) * (a - b), |a, b| (a - b).wrapping_mul(a - b));
