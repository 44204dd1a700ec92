//! SpaceToBatchND(input, block_shape, paddings) and SpaceToBatch(input, paddings) with the
//! `block_size` attribute: zero-pads the spatial dims and moves each block offset to the batch.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::array::space_batch::{fold_sources, info, lower_space_to_batch, Blocks};
use crate::ops::util::{host, ints};
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

/// `nd`: SpaceToBatchND; else SpaceToBatch (4-D, square blocks).
pub struct SpaceToBatch {
    pub nd: bool,
    /// SpaceToBatch's `block_size` (decoded when the model is loaded, [`block_size`]).
    bs: i64,
}

impl SpaceToBatch {
    pub fn build(node: &Node, nd: bool) -> Result<SpaceToBatch> {
        Ok(SpaceToBatch { nd, bs: block_size(node, nd)? })
    }
}

/// The `block_size` attribute of SpaceToBatch and BatchToSpace (not `nd`; 0 for the ND forms).
pub fn block_size(node: &Node, nd: bool) -> Result<i64> {
    if nd {
        return Ok(0);
    }
    node.attr_int("block_size")
}

/// Blocks from the inputs after the first (`nd`: block_shape, edges; else edges and the
/// `block_size` attribute `bs`).
pub fn blocks(node: &Node, nd: bool, bs: i64, rest: &[&Tensor], rank: usize) -> Result<Blocks> {
    if nd {
        let b = ints(node, rest[0])?;
        return Blocks::new(node, &b, rest[1], rank);
    }
    if rank != 4 {
        return Err(node.err(format!("takes a 4-D input, got rank {rank}")));
    }
    Blocks::new(node, &[bs, bs], rest[0], rank)
}

fn known<'a>(node: &Node, ins: &'a [TensorInfo], nd: bool) -> Result<Vec<&'a Tensor>> {
    (1..if nd { 3 } else { 2 }).map(|i| host(node, ins, i).map(|t| t.as_ref())).collect()
}

impl Op for SpaceToBatch {
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
            let out = bl.space_to_batch_shape(node, ins[0].shape())?;
            let src = bl.space_to_batch_sources(ins[0].shape(), &out);
            fold_sources(&ins[0], out, src.into_iter())
        })())
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), if self.nd { 3 } else { 2 })?;
        let bl = blocks(node, self.nd, self.bs, &known(node, ins, self.nd)?, ins[0].shape.len())?;
        Ok(info(&ins[0], bl.space_to_batch_shape(node, &ins[0].shape)?))
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let rest = ins[1..].iter().map(|o| o.value.as_deref().ok_or_else(|| node.needs_values(1..ins.len(), "block shape and paddings must be constant"))).collect::<Result<Vec<_>>>()?;
        let bl = blocks(node, self.nd, self.bs, &rest, ins[0].rank())?;
        lower_space_to_batch(cx, node, &bl, &ins[0], &outs[0])
    }
}
