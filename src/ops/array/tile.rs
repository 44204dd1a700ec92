//! Tile(input, multiples): the output seen as [m0, d0, m1, d1, …] is a strided view of the
//! input with stride 0 on the repeat dims — one strided copy, no modulo in the kernel.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::array::fill::MAX_FOLD;
use crate::ops::util::{gather_data, host, ints, strided_copy, strided_indices, strides};
use crate::ops::{Op, TensorInfo};
use crate::tensor::{num_elements, Tensor};

pub struct Tile;

fn multiples(node: &Node, t: &Tensor, rank: usize) -> Result<Vec<usize>> {
    let m = ints(node, t)?;
    if m.len() != rank {
        return Err(node.err(format!("multiples {m:?} do not match rank {rank}")));
    }
    m.into_iter().map(|x| usize::try_from(x).map_err(|_| node.err(format!("multiple {x} is negative")))).collect()
}

/// (output shape, interleaved view shape [m0, d0, …], input strides over the view).
pub fn tile_view(shape: &[usize], mult: &[usize]) -> (Vec<usize>, Vec<usize>, Vec<i64>) {
    let st = strides(shape);
    let out = shape.iter().zip(mult).map(|(d, m)| d * m).collect();
    let mut view = Vec::with_capacity(2 * shape.len());
    let mut vst = Vec::with_capacity(2 * shape.len());
    for d in 0..shape.len() {
        view.extend([mult[d], shape[d]]);
        vst.extend([0, st[d] as i64]);
    }
    (out, view, vst)
}

fn plan(node: &Node, shape: &[usize], m: &Tensor) -> Result<(Vec<usize>, Vec<usize>, Vec<i64>)> {
    let v = tile_view(shape, &multiples(node, m, shape.len())?);
    num_elements(&v.0).map_err(|_| node.err(format!("output shape {:?} is too large", v.0)))?;
    Ok(v)
}

impl Op for Tile {
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
        let (out, view, st) = match plan(node, ins[0].shape(), &ins[1]) {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        if out.iter().product::<usize>() > MAX_FOLD {
            return None;
        }
        let d = gather_data(ins[0].data(), strided_indices(&view, &st, 0).into_iter());
        Some(Tensor::new(ins[0].dtype(), out, d).map(|t| vec![Arc::new(t)]))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let (out, _, _) = plan(node, &ins[0].shape, host(node, ins, 1)?)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, out)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let m = ins[1].value.as_ref().ok_or_else(|| node.needs_values([1], "multiples must be constant"))?;
        let (_, view, st) = plan(node, &ins[0].shape, m)?;
        let dense = Operand { shape: view, ..outs[0].clone() };
        strided_copy(cx, node, &ins[0], &dense, 0, &st)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_is_an_interleaved_view() {
        let (out, view, st) = tile_view(&[2, 3], &[2, 1]);
        assert_eq!(out, vec![4, 3]);
        assert_eq!(view, vec![2, 2, 1, 3]);
        assert_eq!(st, vec![0, 3, 0, 1]);
        let idx = strided_indices(&view, &st, 0);
        assert_eq!(idx, vec![0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]);
        let (_, view, st) = tile_view(&[2], &[3]);
        assert_eq!(strided_indices(&view, &st, 0), vec![0, 1, 0, 1, 0, 1]);
    }
}
