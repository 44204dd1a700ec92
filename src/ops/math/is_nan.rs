//! IsNan: true where x is NaN.
use crate::ops::math::classify::Classify;

pub const OP: Classify = Classify { code: 0, f: f64::is_nan };
