//! TruncateMod: c = C fmod, the sign of a (also Mod), elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;

pub const OP: Binary = Binary::new(10, |a, b| a % b, |a, b| if b == 0 { 0 } else { a.wrapping_rem(b) });
