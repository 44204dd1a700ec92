//! FloorMod: c = a - b·floor(a / b), the sign of b, elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;
use crate::lower::codes::BinaryOp;

pub const OP: Binary = Binary::new(BinaryOp::FloorMod, |a, b| a - b * (a / b).floor(), |a, b| if b == 0 { 0 } else { let r = a % b; if r != 0 && ((r < 0) != (b < 0)) { r + b } else { r } });
