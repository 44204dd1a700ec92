//! IsNan: true where x is NaN.
use crate::ops::math::classify::Classify;
use crate::lower::codes::ClassifyOp;

pub const OP: Classify = Classify { code: ClassifyOp::IsNan, f: f64::is_nan };
