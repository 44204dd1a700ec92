//! SparseToDense(sparse_indices, output_shape, sparse_values, default_value): a tensor of
//! `output_shape` filled with `default_value`, with `sparse_values` (one per index, or one for
//! all) at `sparse_indices` (a scalar or [N] into a 1-D output, or [N, rank]). With
//! `validate_indices` (the default), indices known when planning must be in range, sorted in
//! row-major order and unique, as TensorFlow checks; indices computed on the GPU that fall
//! outside the output are skipped. Two kernels: a fill, then a scatter that stores.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant, Storage};
use crate::kernel::meta::{dims as meta_dims, w, IndexNdMeta};
use crate::ops::array::fill::{broadcast_scalar, dims};
use crate::ops::array::gather_nd::row_offsets;
use crate::ops::util::{concat_host, gather_data, host, ints};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::Tensor;

/// SparseToDense, its `validate_indices` decoded when the model is loaded.
pub struct SparseToDense {
    validate: bool,
}

impl SparseToDense {
    pub fn build(node: &Node) -> Result<SparseToDense> {
        Ok(SparseToDense { validate: node.attr_bool_or("validate_indices", true)? })
    }
}

/// (number of indices, dims each addresses) for indices of `ishape` into an output of `rank`.
fn index_dims(node: &Node, ishape: &[usize], rank: usize) -> Result<(usize, usize)> {
    let (n, q) = match ishape {
        [] => (1, 1),
        [n] => (*n, 1),
        [n, q] => (*n, *q),
        _ => return Err(node.err(format!("sparse_indices must have rank 0, 1 or 2, got {ishape:?}"))),
    };
    if q != rank && !(rank == 0 && n == 0) {
        return Err(node.err(format!("sparse_indices of shape {ishape:?} address {q} dims of an output of rank {rank}")));
    }
    Ok((n, q))
}

fn check_values(node: &Node, vshape: &[usize], n: usize) -> Result<()> {
    if !(vshape.is_empty() || vshape == [n]) {
        return Err(node.err(format!("sparse_values must be a scalar or have {n} values, got shape {vshape:?}")));
    }
    Ok(())
}

/// TensorFlow's validation: every index in range, and in strictly increasing row-major order.
fn validate(node: &Node, order: bool, shape: &[usize], q: usize, idx: &[i64]) -> Result<Vec<usize>> {
    let offs = row_offsets(shape, q, idx).map_err(|r| node.err(format!("index {r:?} is out of bounds for output shape {shape:?}")))?;
    if order {
        if let Some(w) = offs.windows(2).position(|w| w[1] <= w[0]) {
            let what = if offs[w] == offs[w + 1] { "repeated" } else { "out of order" };
            return Err(node.err(format!("index {:?} is {what} (indices must be sorted and unique)", &idx[(w + 1) * q..(w + 2) * q])));
        }
    }
    Ok(offs)
}

impl Op for SparseToDense {
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i == 1
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 4)?;
        if !ins[0].dtype.is_int() {
            return Err(node.err(format!("sparse_indices must be integers, got {}", ins[0].dtype)));
        }
        if ins[2].dtype != ins[3].dtype {
            return Err(node.err(format!("sparse_values are {}, default_value is {}", ins[2].dtype, ins[3].dtype)));
        }
        if !ins[3].shape.is_empty() {
            return Err(node.err(format!("default_value must be a scalar, got shape {:?}", ins[3].shape)));
        }
        let shape = dims(node, host(node, ins, 1)?)?;
        let (n, q) = index_dims(node, &ins[0].shape, shape.len())?;
        check_values(node, &ins[2].shape, n)?;
        if let Some(i) = &ins[0].value {
            validate(node, self.validate, &shape, q, &ints(node, i)?)?;
        }
        Ok(vec![TensorInfo::new(ins[2].dtype, shape)])
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let shape = dims(node, &ins[1]).ok()?;
        if shape.iter().product::<usize>() > 1 << 20 || ins[0].len() > 1 << 20 {
            return None;
        }
        Some((|| {
            let (_, q) = index_dims(node, ins[0].shape(), shape.len())?;
            let offs = validate(node, self.validate, &shape, q, &ints(node, &ins[0])?)?;
            // Gather every element from [values…, default]: a value where an index points, else
            // the default (index m).
            let m = ins[2].len();
            let mut src = vec![m; shape.iter().product()];
            for (k, &o) in offs.iter().enumerate() {
                src[o] = if m == 1 { 0 } else { k };
            }
            let values = (*ins[2]).clone().reshape(vec![m])?;
            let default = (*ins[3]).clone().reshape(vec![1])?;
            let both = concat_host(&[&values, &default], 0)?;
            let d = gather_data(both.data(), src.into_iter());
            Ok(vec![Arc::new(Tensor::new(ins[2].dtype(), shape, d)?)])
        })())
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let out = &outs[0];
        let (n, q) = index_dims(node, &ins[0].shape, out.rank())?;
        broadcast_scalar(cx, node, &ins[3], out)?;
        if n == 0 || out.elements() == 0 {
            return Ok(());
        }
        // One value for all indices: repeat it first.
        let values = if ins[2].shape.is_empty() && n != 1 {
            let t = Operand { id: cx.temp(ins[2].dtype, vec![n]), shape: vec![n], value: None, ..ins[2].clone() };
            broadcast_scalar(cx, node, &ins[2], &t)?;
            t
        } else {
            ins[2].clone()
        };
        let meta = Meta::from(IndexNdMeta { count: w(n), q: w(q), inner: 1, _pad: 0, dims: meta_dims(&out.shape[..q], 1) });
        let v = ShaderVariant::new(&shaders::SCATTER_ND).set("FLOAT", (out.storage() == Storage::F32) as i64).set("ASSIGN", 1);
        cx.kernel(v, grid(n, 256), meta, vec![Binding::In(ins[0].id), Binding::In(values.id), Binding::Out(out.id)]);
        Ok(())
    }
}
