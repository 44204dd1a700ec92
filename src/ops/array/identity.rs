//! Identity and its kin (StopGradient, Snapshot, PreventGradient, EnsureShape, CheckNumerics,
//! IdentityN): views of their inputs, no copy.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

/// Output i is input i. `first_only`: only input 0 passes (EnsureShape, CheckNumerics).
pub struct Identity {
    pub all: bool,
}

impl Op for Identity {
    fn f16(&self) -> bool {
        true
    }
    fn int64(&self) -> bool {
        true
    }
    fn fold(&self, _node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        Some(Ok(if self.all { ins.to_vec() } else { vec![ins[0].clone()] }))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        let n = if self.all { ins.len() } else { 1 };
        Ok(ins[..n].iter().map(|i| TensorInfo { value: i.value.clone(), ..i.clone() }).collect())
    }
    fn lower(&self, _node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        for (o, i) in outs.iter().zip(ins) {
            // IdentityN may pass a constant (known when planning: no buffer) beside tensors.
            if o.value.is_none() {
                cx.alias(o, i);
            }
        }
        Ok(())
    }
}

/// NoOp: no outputs (only control edges reach it).
pub struct NoOp;

impl Op for NoOp {
    fn infer(&self, _node: &Node, _ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        Ok(vec![])
    }
    fn lower(&self, _node: &Node, _cx: &mut Lower, _ins: &[Operand], _outs: &[Operand]) -> Result<()> {
        Ok(())
    }
}
