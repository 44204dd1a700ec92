//! DivNoNan: c = a / b, 0 where b is 0, elementwise with NumPy broadcasting.
use crate::ops::math::binary::Binary;

pub const OP: Binary = Binary::new(12, |a, b| if b == 0.0 { 0.0 } else { a / b }, |a, b| if b == 0 { 0 } else { a.wrapping_div(b) });
