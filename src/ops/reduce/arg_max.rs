//! ArgMax: index of the largest element along an axis (see arg.rs).
use crate::ops::reduce::arg::ArgReduce;

pub const OP: ArgReduce = ArgReduce { min: false, out: crate::tensor::DType::I64 };
