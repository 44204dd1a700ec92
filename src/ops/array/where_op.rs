//! Where(input) (one input: the coordinates of the true / non-zero elements, int64
//! [count, rank]). Its length depends on the values: computed on the CPU when the input is
//! known when planning; otherwise GPU kernels write the rows (int64 where the adapter has it)
//! and their count, in three passes over chunks (counts, their prefix sum, the rows), and the
//! output has a data-dependent length (it can be fetched, not read by other kernels).
use std::sync::Arc;

use crate::kernel::codes::WhereStage;
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{spread_groups, Binding, Lower, Meta, Operand, ShaderVariant, MAX_RANK};
use crate::kernel::meta::{dims, w, WhereMeta};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{DType, Tensor};

pub struct Where;

/// Row-major coordinates of the non-zero entries.
pub fn true_coords(shape: &[usize], v: &[f64]) -> Vec<i64> {
    let mut out = Vec::new();
    let mut c = vec![0usize; shape.len()];
    for &x in v {
        if x != 0.0 {
            out.extend(c.iter().map(|&i| i as i64));
        }
        for d in (0..shape.len()).rev() {
            c[d] += 1;
            if c[d] < shape[d] {
                break;
            }
            c[d] = 0;
        }
    }
    out
}

fn compute(node: &Node, x: &Tensor) -> Result<Tensor> {
    if !x.dtype().is_numeric() {
        return Err(node.err(format!("does not take {} inputs", x.dtype())));
    }
    let c = true_coords(x.shape(), &x.to_f64_vec()?);
    let rank = x.rank();
    let rows = if rank == 0 { (x.to_f64_vec()?[0] != 0.0) as usize } else { c.len() / rank };
    Tensor::from_i64(vec![rows, rank], c)
}

impl Op for Where {
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        Some(compute(node, &ins[0]).map(|t| vec![Arc::new(t)]))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        if let Some(x) = &ins[0].value {
            return Ok(vec![TensorInfo::known(Arc::new(compute(node, x)?))]);
        }
        let x = &ins[0];
        if !x.dtype.is_numeric() || x.shape.len() > MAX_RANK {
            return Err(node.err(format!("does not take {} inputs of rank {}", x.dtype, x.shape.len())));
        }
        // At most every element: the fetch is cut to the count the kernel writes.
        Ok(vec![TensorInfo::new(DType::I64, vec![x.shape.iter().product(), x.shape.len()])])
    }
    fn int64(&self) -> bool {
        true
    }
    fn lower(&self, _node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let x = &ins[0];
        let n = x.elements();
        // Chunks of 16,384 (64 steps of 256 per workgroup); at most 65,536 of them for the one
        // workgroup that places them (256 each per invocation).
        let chunk = (64 * 256).max(n.div_ceil(256 * 256));
        let nchunks = n.div_ceil(chunk);
        let count = cx.temp(DType::I32, vec![]);
        let parts = cx.temp(DType::I32, vec![nchunks]);
        let meta = Meta::from(WhereMeta { n: w(n), rank: w(x.rank()), chunk: w(chunk), nchunks: w(nchunks), shape: dims(&x.shape, 1) });
        let v = ShaderVariant::new(&shaders::WHERE).ty("T", x.storage().wgsl()).ty("O", outs[0].storage().wgsl());
        let bind = vec![Binding::In(x.id), Binding::Out(outs[0].id), Binding::Out(count), Binding::Out(parts)];
        cx.kernel(v.clone().set("STAGE", WhereStage::Count), spread_groups(nchunks), meta.clone(), bind.clone());
        cx.kernel(v.clone().set("STAGE", WhereStage::Offsets), [1, 1, 1], meta.clone(), bind.clone());
        cx.kernel(v.set("STAGE", WhereStage::Write), spread_groups(nchunks), meta, bind);
        cx.dynamic_length(&outs[0], count);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_row_major() {
        assert_eq!(true_coords(&[2, 2], &[0.0, 1.0, 1.0, 0.0]), vec![0, 1, 1, 0]);
        assert_eq!(true_coords(&[3], &[1.0, 0.0, 2.0]), vec![0, 2]);
    }
}
