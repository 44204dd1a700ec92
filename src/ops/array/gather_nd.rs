//! GatherNd(params, indices): each row of the last indices dim addresses the first q dims of
//! params; the output is indices.shape[:-1] + params.shape[q:]. One kernel (out-of-range rows
//! give 0 on the GPU, an error when folding).
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant, MAX_RANK};
use crate::kernel::meta::{dims, w, IndexNdMeta};
use crate::ops::util::{gather_data, ints};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::Tensor;

pub struct GatherNd;

/// (output shape, q, rows m, inner) for ND indexing of `shape` by `indices`.
pub fn nd_plan(node: &Node, shape: &[usize], indices: &[usize]) -> Result<(Vec<usize>, usize, usize, usize)> {
    let Some(&q) = indices.last() else { return Err(node.err("indices must have rank >= 1")) };
    if q > shape.len() || q > MAX_RANK {
        return Err(node.err(format!("index depth {q} is above the rank {} (or {MAX_RANK})", shape.len())));
    }
    let mut out = indices[..indices.len() - 1].to_vec();
    out.extend_from_slice(&shape[q..]);
    let m = indices[..indices.len() - 1].iter().product();
    Ok((out, q, m, shape[q..].iter().product()))
}

/// The linear slice of each index row (host), or the first bad row's index.
pub fn row_offsets(shape: &[usize], q: usize, idx: &[i64]) -> std::result::Result<Vec<usize>, Vec<i64>> {
    let rows = if q == 0 { 0 } else { idx.len() / q };
    let mut out = Vec::with_capacity(rows);
    for r in 0..rows {
        let row = &idx[r * q..(r + 1) * q];
        let mut off = 0usize;
        for (d, &x) in row.iter().enumerate() {
            if x < 0 || x as usize >= shape[d] {
                return Err(row.to_vec());
            }
            off = off * shape[d] + x as usize;
        }
        out.push(off);
    }
    Ok(out)
}

impl Op for GatherNd {
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        if ins[0].len() > 1 << 20 || ins[1].len() > 1 << 16 {
            return None;
        }
        Some((|| {
            let (p, i) = (&ins[0], &ins[1]);
            let (out, q, m, inner) = nd_plan(node, p.shape(), i.shape())?;
            let offs = if q == 0 {
                vec![0; m]
            } else {
                row_offsets(p.shape(), q, &ints(node, i)?).map_err(|r| node.err(format!("index {r:?} is out of range for {:?}", p.shape())))?
            };
            let src = offs.into_iter().flat_map(|o| o * inner..(o + 1) * inner);
            Ok(vec![Arc::new(Tensor::new(p.dtype(), out, gather_data(p.data(), src))?)])
        })())
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        if !ins[1].dtype.is_int() {
            return Err(node.err(format!("indices must be integers, got {}", ins[1].dtype)));
        }
        let (out, ..) = nd_plan(node, &ins[0].shape, &ins[1].shape)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, out)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let (_, q, _, inner) = nd_plan(node, &ins[0].shape, &ins[1].shape)?;
        let count = outs[0].elements();
        let meta = Meta::from(IndexNdMeta { count: w(count), q: w(q), inner: w(inner), _pad: 0, dims: dims(&ins[0].shape[..q], 1) });
        let v = ShaderVariant::new(&shaders::GATHER_ND);
        cx.kernel(v, grid(count, 256), meta, vec![Binding::In(ins[0].id), Binding::In(ins[1].id), Binding::Out(outs[0].id)]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nd_indexing() {
        let n = Node { name: "g".into(), op: "GatherNd".into(), inputs: vec![], controls: vec![], attrs: Default::default(), device: String::new() };
        assert_eq!(nd_plan(&n, &[4, 5, 3], &[3, 2]).unwrap(), (vec![3, 3], 2, 3, 3));
        assert_eq!(nd_plan(&n, &[4, 5, 3], &[2, 3]).unwrap(), (vec![2], 3, 2, 1));
        assert!(nd_plan(&n, &[4, 5], &[2, 3]).is_err());
        assert_eq!(row_offsets(&[4, 5, 3], 2, &[1, 2, 3, 0]).unwrap(), vec![7, 15]);
        assert_eq!(row_offsets(&[4, 5, 3], 2, &[1, 5]), Err(vec![1, 5]));
    }
}
