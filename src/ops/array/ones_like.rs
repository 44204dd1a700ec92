//! OnesLike: a tensor of x's dtype and shape filled with 1 (see zeros_like.rs).
use crate::ops::array::zeros_like::FilledLike;

pub const OP: FilledLike = FilledLike { one: true };
