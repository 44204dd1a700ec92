//! The shared form of comparisons (Equal, Less, …): bool output, NumPy broadcasting.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::codes::CompareOp;
use crate::kernel::{Lower, Operand, ShaderVariant};
use crate::ops::math::binary::infer_broadcast;
use crate::ops::util::{binary_kernel, broadcast_map};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{DType, Tensor};

/// A comparison: the `OP` code of `compare.wgsl` and the CPU predicate.
#[derive(Clone, Copy)]
pub struct Compare {
    pub code: CompareOp,
    pub f: fn(f64, f64) -> bool,
}

impl Op for Compare {
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        let (_, shape) = infer_broadcast(node, ins)?;
        Ok(vec![TensorInfo::new(DType::Bool, shape)])
    }
    fn fold(&self, _node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let (a, b) = (ins[0].to_f64_vec().ok()?, ins[1].to_f64_vec().ok()?);
        let (shape, v) = broadcast_map(&a, ins[0].shape(), &b, ins[1].shape(), self.f)?;
        Some(Tensor::from_bool(shape, v).map(|t| vec![Arc::new(t)]))
    }
    fn int64(&self) -> bool {
        true
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let v = ShaderVariant::new(&shaders::COMPARE).ty("T", ins[0].storage().wgsl()).set("OP", self.code.code() as i64);
        binary_kernel(cx, node, v, &ins[0], &ins[1], &outs[0])
    }
}
