//! IsInf: true where x is +inf or -inf.
use crate::ops::math::classify::Classify;

pub const OP: Classify = Classify { code: 1, f: f64::is_infinite };
