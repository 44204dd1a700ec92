//! BroadcastTo(input, shape): NumPy broadcasting to a shape known when planning (a stride-0
//! strided copy).
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::array::fill::{dims, MAX_FOLD};
use crate::ops::util::{broadcast_shapes, broadcast_strides, gather_data, host, strided_copy, strided_indices};
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

pub struct BroadcastTo;

/// The target shape, checked against the input's.
fn target(node: &Node, input: &[usize], shape: &Tensor) -> Result<Vec<usize>> {
    let s = dims(node, shape)?;
    if input.len() > s.len() || broadcast_shapes(input, &s).as_deref() != Some(&s[..]) {
        return Err(node.err(format!("cannot broadcast {input:?} to {s:?}")));
    }
    Ok(s)
}

fn strides_i64(input: &[usize], out: &[usize]) -> Vec<i64> {
    broadcast_strides(input, out).into_iter().map(|s| s as i64).collect()
}

impl Op for BroadcastTo {
    fn f16(&self) -> bool {
        true
    }
    fn int64(&self) -> bool {
        true
    }
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i == 1
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let s = match target(node, ins[0].shape(), &ins[1]) {
            Ok(s) => s,
            Err(e) => return Some(Err(e)),
        };
        if s.iter().product::<usize>() > MAX_FOLD {
            return None;
        }
        let idx = strided_indices(&s, &strides_i64(ins[0].shape(), &s), 0);
        Some(Tensor::new(ins[0].dtype(), s, gather_data(ins[0].data(), idx.into_iter())).map(|t| vec![Arc::new(t)]))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let s = target(node, &ins[0].shape, host(node, ins, 1)?)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, s)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let out = &outs[0];
        strided_copy(cx, node, &ins[0], out, 0, &strides_i64(&ins[0].shape, &out.shape))
    }
}
