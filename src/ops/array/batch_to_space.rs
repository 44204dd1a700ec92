//! BatchToSpaceND(input, block_shape, crops) and BatchToSpace(input, crops) with the
//! `block_size` attribute: the inverse of SpaceToBatch, cropping the spatial dims.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::array::space_batch::{fold_sources, info, lower_batch_to_space};
use crate::ops::array::space_to_batch::{block_size, blocks};
use crate::ops::util::host;
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

/// `nd`: BatchToSpaceND; else BatchToSpace (4-D, square blocks).
pub struct BatchToSpace {
    pub nd: bool,
    /// BatchToSpace's `block_size` (decoded when the model is loaded).
    bs: i64,
}

impl BatchToSpace {
    pub fn build(node: &Node, nd: bool) -> Result<BatchToSpace> {
        Ok(BatchToSpace { nd, bs: block_size(node, nd)? })
    }
}

impl Op for BatchToSpace {
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i >= 1
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        if ins[0].len() > 1 << 20 {
            return None;
        }
        let rest: Vec<&Tensor> = ins[1..].iter().map(|t| t.as_ref()).collect();
        Some((|| {
            let bl = blocks(node, self.nd, self.bs, &rest, ins[0].rank())?;
            let out = bl.batch_to_space_shape(node, ins[0].shape())?;
            let src = bl.batch_to_space_sources(ins[0].shape(), &out);
            fold_sources(&ins[0], out, src.into_iter().map(Some))
        })())
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), if self.nd { 3 } else { 2 })?;
        let rest = (1..ins.len().min(if self.nd { 3 } else { 2 })).map(|i| host(node, ins, i).map(|t| t.as_ref())).collect::<Result<Vec<_>>>()?;
        let bl = blocks(node, self.nd, self.bs, &rest, ins[0].shape.len())?;
        Ok(info(&ins[0], bl.batch_to_space_shape(node, &ins[0].shape)?))
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let rest = ins[1..].iter().map(|o| o.value.as_deref().ok_or_else(|| node.needs_values(1..ins.len(), "block shape and crops must be constant"))).collect::<Result<Vec<_>>>()?;
        let bl = blocks(node, self.nd, self.bs, &rest, ins[0].rank())?;
        lower_batch_to_space(cx, node, &bl, &ins[0], &outs[0])
    }
}
