//! TruncateMod: c = C fmod, the sign of a (also Mod), elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;
use crate::lower::codes::BinaryOp;

pub const OP: Binary = Binary::new(BinaryOp::TruncateMod, |a, b| a % b, |a, b| if b == 0 { 0 } else { a.wrapping_rem(b) });
