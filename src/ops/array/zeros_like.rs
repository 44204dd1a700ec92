//! ZerosLike (and, with `one`, OnesLike): a tensor of x's dtype and shape filled with 0 (1).
//! On the GPU: a stride-0 copy of a one-element plan constant.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::array::fill::{broadcast_scalar, repeat, MAX_FOLD};
use crate::ops::util::tensor_from_i64;
use crate::ops::{Op, TensorInfo};
use crate::tensor::{DType, Tensor};

pub struct FilledLike {
    pub one: bool,
}

pub const OP: FilledLike = FilledLike { one: false };

impl FilledLike {
    fn scalar(&self, node: &Node, dtype: DType) -> Result<Tensor> {
        if !dtype.is_numeric() {
            return Err(node.err(format!("does not take {dtype} inputs")));
        }
        tensor_from_i64(dtype, vec![], vec![self.one as i64])
    }
}

impl Op for FilledLike {
    fn int64(&self) -> bool {
        true
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        if ins[0].len() > MAX_FOLD {
            return None;
        }
        Some(self.scalar(node, ins[0].dtype()).and_then(|s| repeat(&s, ins[0].shape().to_vec())).map(|t| vec![Arc::new(t)]))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        self.scalar(node, ins[0].dtype)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, ins[0].shape.clone())])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, _ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let s = self.scalar(node, outs[0].dtype)?;
        let id = cx.constant(s);
        let value = Operand { id, dtype: outs[0].dtype, storage: cx.storage_of(outs[0].dtype), shape: vec![], value: None };
        broadcast_scalar(cx, node, &value, &outs[0])
    }
}
