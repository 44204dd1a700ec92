//! TruncateDiv: c = a / b rounded toward zero, elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;
use crate::lower::codes::BinaryOp;

pub const OP: Binary = Binary::new(BinaryOp::TruncateDiv, |a, b| (a / b).trunc(), |a, b| if b == 0 { 0 } else { a.wrapping_div(b) });
