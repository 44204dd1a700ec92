//! Less: c = (a < b), a bool tensor, with NumPy broadcasting.
use crate::ops::math::compare::Compare;

pub const OP: Compare = Compare { code: 2, f: |a, b| a < b };
