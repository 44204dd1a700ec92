//! LogicalAnd, LogicalOr (bool, broadcasting) and LogicalNot.
use crate::ops::math::binary::Binary;
use crate::ops::math::unary::{no_params, Unary};
use crate::lower::codes::{UnaryOp, BinaryOp};

pub const AND: Binary = Binary { code: BinaryOp::LogicalAnd, float: |a, b| ((a != 0.0) && (b != 0.0)) as u8 as f64, int: Some(|a, b| ((a != 0) && (b != 0)) as i64) };
pub const OR: Binary = Binary { code: BinaryOp::LogicalOr, float: |a, b| ((a != 0.0) || (b != 0.0)) as u8 as f64, int: Some(|a, b| ((a != 0) || (b != 0)) as i64) };
pub const NOT: Unary = Unary { code: UnaryOp::LogicalNot, float: |x, _| (x == 0.0) as u8 as f64, int: Some(|x| (x == 0) as i64), params: no_params };
