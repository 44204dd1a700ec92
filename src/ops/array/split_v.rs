//! SplitV(value, size_splits, axis): pieces of given sizes (one may be -1: the rest).
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::array::split::{axis_of, fold_pieces, lower_pieces, piece_shapes};
use crate::ops::util::{host, ints};
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

pub struct SplitV;

/// (start, length) of each piece of a dim of size `dim`.
pub fn sized_pieces(node: &Node, dim: usize, sizes: &[i64]) -> Result<Vec<(usize, usize)>> {
    let unknown: Vec<usize> = (0..sizes.len()).filter(|&k| sizes[k] == -1).collect();
    if unknown.len() > 1 || sizes.iter().any(|&s| s < -1) {
        return Err(node.err(format!("invalid size_splits {sizes:?}")));
    }
    let known: i64 = sizes.iter().filter(|&&s| s >= 0).sum();
    let rest = dim as i64 - known;
    if rest < 0 || (unknown.is_empty() && rest != 0) {
        return Err(node.err(format!("size_splits {sizes:?} do not add up to the dim size {dim}")));
    }
    let mut start = 0;
    Ok(sizes
        .iter()
        .map(|&s| {
            let len = if s == -1 { rest as usize } else { s as usize };
            start += len;
            (start - len, len)
        })
        .collect())
}

fn plan(node: &Node, sizes: &Tensor, axis: &Tensor, shape: &[usize]) -> Result<(usize, Vec<(usize, usize)>)> {
    let a = axis_of(node, axis, shape.len())?;
    Ok((a, sized_pieces(node, shape[a], &ints(node, sizes)?)?))
}

impl Op for SplitV {
    fn int64(&self) -> bool {
        true
    }
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i >= 1
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        Some(plan(node, &ins[1], &ins[2], ins[0].shape()).and_then(|(a, p)| fold_pieces(&ins[0], a, &p, true)))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 3)?;
        let (a, p) = plan(node, host(node, ins, 1)?, host(node, ins, 2)?, &ins[0].shape)?;
        Ok(piece_shapes(&ins[0].shape, a, &p, true).into_iter().map(|s| TensorInfo::new(ins[0].dtype, s)).collect())
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let known = |i: usize| ins[i].value.clone().ok_or_else(|| node.needs_values([i], "size_splits and axis must be constant"));
        let (sizes, axis) = (known(1)?, known(2)?);
        let (a, p) = plan(node, &sizes, &axis, &ins[0].shape)?;
        lower_pieces(cx, node, &ins[0], outs, a, &p, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_with_one_unknown() {
        let n = Node { name: "s".into(), op: "SplitV".into(), inputs: vec![], controls: vec![], attrs: Default::default(), device: String::new() };
        assert_eq!(sized_pieces(&n, 6, &[1, 3, -1]).unwrap(), vec![(0, 1), (1, 3), (4, 2)]);
        assert!(sized_pieces(&n, 6, &[1, 3]).is_err());
        assert!(sized_pieces(&n, 6, &[-1, -1]).is_err());
        assert!(sized_pieces(&n, 3, &[2, 2, -1]).is_err());
    }
}
