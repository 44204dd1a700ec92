//! IsFinite: true where x is neither NaN nor infinite.
use crate::ops::math::classify::Classify;
use crate::lower::codes::ClassifyOp;

pub const OP: Classify = Classify { code: ClassifyOp::IsFinite, f: f64::is_finite };
