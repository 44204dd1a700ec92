//! Const, Placeholder, PlaceholderWithDefault: where tensors come from.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

/// Const: its value, decoded from the `value` attribute (folded at load).
pub struct Const;

impl Op for Const {
    fn f16(&self) -> bool {
        true
    }
    fn int64(&self) -> bool {
        true
    }
    fn infer(&self, node: &Node, _ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        Ok(vec![TensorInfo::known(node.attr_tensor("value")?)])
    }
    fn lower(&self, node: &Node, _cx: &mut Lower, _ins: &[Operand], _outs: &[Operand]) -> Result<()> {
        Err(node.err("internal: constants are never lowered"))
    }
}

/// Placeholder: must be fed.
pub struct Placeholder;

impl Op for Placeholder {
    fn f16(&self) -> bool {
        true
    }
    fn int64(&self) -> bool {
        true
    }
    fn infer(&self, node: &Node, _ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        let dtype = node.attr_opt_dtype("dtype")?.map(|d| d.to_string()).unwrap_or_default();
        Err(node.err(format!("placeholder '{}:0' ({dtype}) must be fed", node.name)))
    }
    fn lower(&self, node: &Node, _cx: &mut Lower, _ins: &[Operand], _outs: &[Operand]) -> Result<()> {
        Err(node.err("must be fed"))
    }
}

/// PlaceholderWithDefault: its input when not fed.
pub struct PlaceholderWithDefault;

impl Op for PlaceholderWithDefault {
    fn f16(&self) -> bool {
        true
    }
    fn int64(&self) -> bool {
        true
    }
    fn fold(&self, _node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        Some(Ok(vec![ins[0].clone()]))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, ins[0].shape.clone())])
    }
    fn lower(&self, _node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        cx.alias(&outs[0], &ins[0]);
        Ok(())
    }
}
