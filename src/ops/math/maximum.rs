//! Maximum: c = max(a, b), elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;

pub const OP: Binary = Binary::new(4, |a, b| if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }, |a, b| a.max(b));
