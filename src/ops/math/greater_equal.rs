//! GreaterEqual: c = (a >= b), a bool tensor, with NumPy broadcasting.
use crate::ops::math::compare::Compare;
use crate::lower::codes::CompareOp;

pub const OP: Compare = Compare { code: CompareOp::GreaterEqual, f: |a, b| a >= b };
