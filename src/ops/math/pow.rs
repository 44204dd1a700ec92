//! Pow: c = a^b, elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;
use crate::lower::codes::BinaryOp;

pub const OP: Binary = Binary::new(BinaryOp::Pow, |a, b| a.powf(b), |a, b| if b < 0 { 0 } else { a.wrapping_pow(b.min(u32::MAX as i64) as u32) });
