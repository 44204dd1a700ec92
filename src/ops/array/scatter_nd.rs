//! ScatterNd(indices, updates, shape): a zero tensor of `shape` with each update row added at
//! its index (duplicates accumulate). Two kernels: a zero fill, then an atomic scatter-add.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant, Storage};
use crate::kernel::meta::{dims as meta_dims, w, IndexNdMeta};
use crate::ops::array::fill::{broadcast_scalar, dims};
use crate::ops::array::gather_nd::{nd_plan, row_offsets};
use crate::ops::util::{host, ints, tensor_from_f64, tensor_from_i64};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{DType, Data, Tensor};

pub struct ScatterNd;

/// (q, inner) after checking that updates fit indices and shape.
fn check(node: &Node, indices: &[usize], updates: &[usize], shape: &[usize]) -> Result<(usize, usize)> {
    let (want, q, _, inner) = nd_plan(node, shape, indices)?;
    if updates != want.as_slice() {
        return Err(node.err(format!("updates have shape {updates:?}; indices {indices:?} into {shape:?} need {want:?}")));
    }
    Ok((q, inner))
}

impl Op for ScatterNd {
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i == 2
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let (i, u) = (&ins[0], &ins[1]);
        if u.len() > 1 << 20 {
            return None;
        }
        Some((|| {
            let shape = dims(node, &ins[2])?;
            if shape.iter().product::<usize>() > 1 << 20 {
                return Err(node.err("too large to fold"));
            }
            let (q, inner) = check(node, i.shape(), u.shape(), &shape)?;
            let rows = u.len().checked_div(inner).unwrap_or(0);
            let offs = if q == 0 { vec![0; rows] } else { row_offsets(&shape, q, &ints(node, i)?).map_err(|r| node.err(format!("index {r:?} is out of range for {shape:?}")))? };
            let n = shape.iter().product();
            let t = match u.data() {
                Data::F32(_) | Data::F64(_) => {
                    let (uv, mut acc) = (u.to_f64_vec()?, vec![0f64; n]);
                    for (r, o) in offs.iter().enumerate() {
                        for k in 0..inner {
                            acc[o * inner + k] += uv[r * inner + k];
                        }
                    }
                    tensor_from_f64(u.dtype(), shape, acc)?
                }
                _ => {
                    let (uv, mut acc) = (u.to_i64_vec()?, vec![0i64; n]);
                    for (r, o) in offs.iter().enumerate() {
                        for k in 0..inner {
                            acc[o * inner + k] = acc[o * inner + k].wrapping_add(uv[r * inner + k]);
                        }
                    }
                    tensor_from_i64(u.dtype(), shape, acc.into_iter().map(|x| crate::tensor::wrap_int(x, u.dtype())).collect())?
                }
            };
            Ok(vec![Arc::new(t)])
        })())
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 3)?;
        if !ins[0].dtype.is_int() {
            return Err(node.err(format!("indices must be integers, got {}", ins[0].dtype)));
        }
        if ins[1].dtype == DType::Bool || !ins[1].dtype.is_numeric() {
            return Err(node.err(format!("does not take {} updates", ins[1].dtype)));
        }
        let shape = dims(node, host(node, ins, 2)?)?;
        check(node, &ins[0].shape, &ins[1].shape, &shape)?;
        Ok(vec![TensorInfo::new(ins[1].dtype, shape)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let out = &outs[0];
        let (q, inner) = check(node, &ins[0].shape, &ins[1].shape, &out.shape)?;
        let zero = cx.constant(tensor_from_i64(out.dtype, vec![], vec![0])?);
        broadcast_scalar(cx, node, &Operand { id: zero, dtype: out.dtype, storage: cx.storage_of(out.dtype), shape: vec![], value: None }, out)?;
        let count = ins[1].elements();
        let meta = Meta::from(IndexNdMeta { count: w(count), q: w(q), inner: w(inner), _pad: 0, dims: meta_dims(&out.shape[..q], 1) });
        let v = ShaderVariant::new(&shaders::SCATTER_ND).set("FLOAT", (ins[1].storage() == Storage::F32) as i64);
        cx.kernel(v, grid(count, 256), meta, vec![Binding::In(ins[0].id), Binding::In(ins[1].id), Binding::Out(out.id)]);
        Ok(())
    }
}
