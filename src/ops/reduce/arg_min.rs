//! ArgMin: index of the smallest element along an axis (see arg.rs).
use crate::ops::reduce::arg::ArgReduce;

pub const OP: ArgReduce = ArgReduce { min: true, out: crate::tensor::DType::I64 };
