//! BroadcastArgs(s0, s1): the broadcast of two shapes (a shape computation, always folded).
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::array::fill::dims;
use crate::ops::util::{broadcast_shapes, tensor_from_i64};
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

pub struct BroadcastArgs;

fn compute(node: &Node, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (sa, sb) = (dims(node, a)?, dims(node, b)?);
    let s = broadcast_shapes(&sa, &sb).ok_or_else(|| node.err(format!("shapes {sa:?} and {sb:?} do not broadcast")))?;
    tensor_from_i64(a.dtype(), vec![s.len()], s.into_iter().map(|d| d as i64).collect())
}

impl Op for BroadcastArgs {
    fn is_host_input(&self, _node: &Node, _i: usize) -> bool {
        true
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        Some(compute(node, &ins[0], &ins[1]).map(|t| vec![Arc::new(t)]))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let (a, b) = (crate::ops::util::host(node, ins, 0)?, crate::ops::util::host(node, ins, 1)?);
        Ok(vec![TensorInfo::known(Arc::new(compute(node, a, b)?))])
    }
    fn lower(&self, node: &Node, _cx: &mut Lower, _ins: &[Operand], _outs: &[Operand]) -> Result<()> {
        Err(node.err("internal: BroadcastArgs is always computed when planning"))
    }
}
