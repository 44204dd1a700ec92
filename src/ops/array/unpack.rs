//! Unpack (tf.unstack): the `num` slices along `axis`, each without that axis.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::array::split::{fold_pieces, lower_pieces, piece_shapes};
use crate::ops::util::norm_axis;
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

/// Unpack, its `axis` and `num` decoded when the model is loaded.
pub struct Unpack {
    axis: i64,
    num: Option<i64>,
}

impl Unpack {
    pub fn build(node: &Node) -> Result<Unpack> {
        Ok(Unpack { axis: node.attr_opt_int("axis")?.unwrap_or(0), num: node.attr_opt_int("num")? })
    }
}

fn plan(op: &Unpack, node: &Node, shape: &[usize]) -> Result<(usize, Vec<(usize, usize)>)> {
    if shape.is_empty() {
        return Err(node.err("cannot unpack a scalar"));
    }
    let a = norm_axis(node, op.axis, shape.len())?;
    if let Some(num) = op.num {
        if num != shape[a] as i64 {
            return Err(node.err(format!("num {num} does not match the dim size {}", shape[a])));
        }
    }
    Ok((a, (0..shape[a]).map(|k| (k, 1)).collect()))
}

impl Op for Unpack {
    fn int64(&self) -> bool {
        true
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        Some(plan(self, node, ins[0].shape()).and_then(|(a, p)| fold_pieces(&ins[0], a, &p, false)))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        let (a, p) = plan(self, node, &ins[0].shape)?;
        Ok(piece_shapes(&ins[0].shape, a, &p, false).into_iter().map(|s| TensorInfo::new(ins[0].dtype, s)).collect())
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let (a, p) = plan(self, node, &ins[0].shape)?;
        lower_pieces(cx, node, &ins[0], outs, a, &p, false)
    }
}
