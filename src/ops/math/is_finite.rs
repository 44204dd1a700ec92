//! IsFinite: true where x is neither NaN nor infinite.
use crate::ops::math::classify::Classify;

pub const OP: Classify = Classify { code: 2, f: f64::is_finite };
