//! Prelu (TF.js, Keras' PReLU as the TF.js converter writes it): y = x >= 0 ? x : alpha·x, alpha
//! broadcast against x (one slope per channel, usually). Fused into a preceding convolution or
//! matrix product's epilogue at load where it follows one (see `lower/fuse.rs`).
use crate::ops::math::binary::Binary;
use crate::lower::codes::BinaryOp;

pub const OP: Binary = Binary { code: BinaryOp::Prelu, float: |x, a| if x >= 0.0 || x.is_nan() { x } else { a * x }, int: None };
