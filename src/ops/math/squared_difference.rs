//! SquaredDifference: c = (a - b)², elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;
use crate::lower::codes::BinaryOp;

pub const OP: Binary = Binary::new(BinaryOp::SquaredDifference, |a, b| (a - b) * (a - b), |a, b| (a - b).wrapping_mul(a - b));
