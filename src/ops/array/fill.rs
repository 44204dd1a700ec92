//! Fill(dims, value): a tensor of shape `dims` holding the scalar `value` everywhere. The dims
//! are known when planning; the value may come from a kernel (a stride-0 copy).
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::util::{gather_data, host, ints, strided_copy};
use crate::ops::{Op, TensorInfo};
use crate::tensor::{num_elements, Tensor};

pub struct Fill;

/// The largest result folded on the CPU; bigger fills run on the GPU.
pub const MAX_FOLD: usize = 1 << 20;

/// A shape from a 1-D integer tensor of non-negative dims.
pub fn dims(node: &Node, t: &Tensor) -> Result<Vec<usize>> {
    if t.rank() > 1 {
        return Err(node.err(format!("dims must be a vector, got shape {:?}", t.shape())));
    }
    let d = ints(node, t)?
        .into_iter()
        .map(|x| usize::try_from(x).map_err(|_| node.err(format!("dimension {x} is negative"))))
        .collect::<Result<Vec<_>>>()?;
    num_elements(&d).map_err(|_| node.err(format!("shape {d:?} has too many elements")))?;
    Ok(d)
}

/// `value` (one element) repeated over `shape`.
pub fn repeat(value: &Tensor, shape: Vec<usize>) -> Result<Tensor> {
    let n = num_elements(&shape)?;
    Tensor::new(value.dtype(), shape, gather_data(value.data(), std::iter::repeat_n(0, n)))
}

/// Writes a one-element operand to every element of `out`.
pub fn broadcast_scalar(cx: &mut Lower, node: &Node, value: &Operand, out: &Operand) -> Result<()> {
    strided_copy(cx, node, value, out, 0, &vec![0; out.rank()])
}

impl Op for Fill {
    fn f16(&self) -> bool {
        true
    }
    fn int64(&self) -> bool {
        true
    }
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i == 0
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let shape = match dims(node, &ins[0]) {
            Ok(s) => s,
            Err(e) => return Some(Err(e)),
        };
        if shape.iter().product::<usize>() > MAX_FOLD || ins[1].len() != 1 {
            return None;
        }
        Some(repeat(&ins[1], shape).map(|t| vec![Arc::new(t)]))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let shape = dims(node, host(node, ins, 0)?)?;
        if !ins[1].shape.is_empty() {
            return Err(node.err(format!("value must be a scalar, got shape {:?}", ins[1].shape)));
        }
        Ok(vec![TensorInfo::new(ins[1].dtype, shape)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        broadcast_scalar(cx, node, &ins[1], &outs[0])
    }
}
