//! Minimum: c = min(a, b), elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;
use crate::lower::codes::BinaryOp;

pub const OP: Binary = Binary::new(BinaryOp::Minimum, |a, b| if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) }, |a, b| a.min(b));
