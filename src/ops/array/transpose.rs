//! Transpose: permutes dims (one strided-copy kernel).
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::util::{gather_data, host, ints, strided_copy, strided_indices, strides};
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

pub struct Transpose;

fn perm(node: &Node, p: &Tensor, rank: usize) -> Result<Vec<usize>> {
    let p = ints(node, p)?;
    let mut seen = vec![false; rank];
    if p.len() != rank {
        return Err(node.err(format!("perm {p:?} does not match rank {rank}")));
    }
    p.iter()
        .map(|&d| {
            let d = crate::ops::util::norm_axis(node, d, rank)?;
            if std::mem::replace(&mut seen[d], true) {
                return Err(node.err(format!("perm {p:?} repeats a dim")));
            }
            Ok(d)
        })
        .collect()
}

/// (output shape, input strides in output order).
fn plan(node: &Node, shape: &[usize], p: &Tensor) -> Result<(Vec<usize>, Vec<i64>)> {
    let p = perm(node, p, shape.len())?;
    let st = strides(shape);
    Ok((p.iter().map(|&d| shape[d]).collect(), p.iter().map(|&d| st[d] as i64).collect()))
}

impl Op for Transpose {
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
        Some(plan(node, ins[0].shape(), &ins[1]).and_then(|(shape, st)| {
            let d = gather_data(ins[0].data(), strided_indices(&shape, &st, 0).into_iter());
            Ok(vec![Arc::new(Tensor::new(ins[0].dtype(), shape, d)?)])
        }))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let (shape, _) = plan(node, &ins[0].shape, host(node, ins, 1)?)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, shape)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let p = ins[1].value.as_ref().ok_or_else(|| node.needs_values([1], "perm must be constant"))?;
        let (_, st) = plan(node, &ins[0].shape, p)?;
        strided_copy(cx, node, &ins[0], &outs[0], 0, &st)
    }
}
