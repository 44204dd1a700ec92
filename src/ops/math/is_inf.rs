//! IsInf: true where x is +inf or -inf.
use crate::ops::math::classify::Classify;
use crate::lower::codes::ClassifyOp;

pub const OP: Classify = Classify { code: ClassifyOp::IsInf, f: f64::is_infinite };
