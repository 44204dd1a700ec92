//! Split(axis, value) into `num_split` equal pieces, and the slicing helpers that SplitV and
//! Unpack share: each piece is one strided copy (or a host gather when folding).
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::util::{gather_data, host, ints, norm_axis, strided_copy, strided_indices, strides};
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

/// Split, its `num_split` decoded when the model is loaded.
pub struct Split {
    num_split: i64,
}

/// A scalar axis from a host tensor.
pub fn axis_of(node: &Node, t: &Tensor, rank: usize) -> Result<usize> {
    let a = ints(node, t)?;
    let &[a] = a.as_slice() else { return Err(node.err("axis must be a scalar")) };
    if rank == 0 {
        return Err(node.err("cannot split a scalar"));
    }
    norm_axis(node, a, rank)
}

/// Pieces along `axis`: (start, length) of each, with the output shapes (`keep` = false drops
/// the axis, as Unpack does).
pub fn piece_shapes(shape: &[usize], axis: usize, pieces: &[(usize, usize)], keep: bool) -> Vec<Vec<usize>> {
    pieces
        .iter()
        .map(|&(_, len)| {
            let mut s = shape.to_vec();
            if keep {
                s[axis] = len;
            } else {
                s.remove(axis);
            }
            s
        })
        .collect()
}

/// (base, input strides in the piece's dim order) of a piece.
fn piece_view(shape: &[usize], axis: usize, start: usize, keep: bool) -> (i64, Vec<i64>) {
    let st = strides(shape);
    let base = (start * st[axis]) as i64;
    let s = st.iter().enumerate().filter(|&(d, _)| keep || d != axis).map(|(_, &s)| s as i64).collect();
    (base, s)
}

/// Host pieces (folding).
pub fn fold_pieces(x: &Tensor, axis: usize, pieces: &[(usize, usize)], keep: bool) -> Result<Vec<Arc<Tensor>>> {
    let shapes = piece_shapes(x.shape(), axis, pieces, keep);
    pieces
        .iter()
        .zip(shapes)
        .map(|(&(start, _), s)| {
            let (base, st) = piece_view(x.shape(), axis, start, keep);
            let d = gather_data(x.data(), strided_indices(&s, &st, base).into_iter());
            Ok(Arc::new(Tensor::new(x.dtype(), s, d)?))
        })
        .collect()
}

/// One strided copy per piece.
pub fn lower_pieces(cx: &mut Lower, node: &Node, x: &Operand, outs: &[Operand], axis: usize, pieces: &[(usize, usize)], keep: bool) -> Result<()> {
    for (o, &(start, _)) in outs.iter().zip(pieces) {
        let (base, st) = piece_view(&x.shape, axis, start, keep);
        strided_copy(cx, node, x, o, base, &st)?;
    }
    Ok(())
}

/// `n` equal pieces of a dim of size `dim`.
pub fn equal_pieces(node: &Node, dim: usize, n: i64) -> Result<Vec<(usize, usize)>> {
    if n <= 0 || dim % n as usize != 0 {
        return Err(node.err(format!("cannot split a dim of size {dim} into {n} equal pieces")));
    }
    let len = dim / n as usize;
    Ok((0..n as usize).map(|k| (k * len, len)).collect())
}

impl Split {
    pub fn build(node: &Node) -> Result<Split> {
        Ok(Split { num_split: node.attr_int("num_split")? })
    }
    fn plan(&self, node: &Node, axis: &Tensor, shape: &[usize]) -> Result<(usize, Vec<(usize, usize)>)> {
        let a = axis_of(node, axis, shape.len())?;
        Ok((a, equal_pieces(node, shape[a], self.num_split)?))
    }
}

impl Op for Split {
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
        Some(self.plan(node, &ins[0], ins[1].shape()).and_then(|(a, p)| fold_pieces(&ins[1], a, &p, true)))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let (a, p) = self.plan(node, host(node, ins, 0)?, &ins[1].shape)?;
        Ok(piece_shapes(&ins[1].shape, a, &p, true).into_iter().map(|s| TensorInfo::new(ins[1].dtype, s)).collect())
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let axis = ins[0].value.as_ref().ok_or_else(|| node.needs_values([0], "axis must be constant"))?;
        let (a, p) = self.plan(node, axis, &ins[1].shape)?;
        lower_pieces(cx, node, &ins[1], outs, a, &p, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_and_views() {
        assert_eq!(piece_shapes(&[2, 6, 4], 1, &[(0, 1), (1, 3), (4, 2)], true), vec![vec![2, 1, 4], vec![2, 3, 4], vec![2, 2, 4]]);
        assert_eq!(piece_shapes(&[3, 4], 1, &[(0, 1), (1, 1)], false), vec![vec![3], vec![3]]);
        assert_eq!(piece_view(&[2, 6, 4], 1, 4, true), (16, vec![24, 4, 1]));
        assert_eq!(piece_view(&[3, 4], 1, 2, false), (2, vec![4]));
        let x = Tensor::from_i32(vec![3, 4], (0..12).collect()).unwrap();
        let p = fold_pieces(&x, 1, &[(0, 1), (1, 1), (2, 1), (3, 1)], false).unwrap();
        assert_eq!(p[2].to_i64_vec().unwrap(), vec![2, 6, 10]);
    }
}
