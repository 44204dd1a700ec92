//! The shared form of binary elementwise ops with NumPy broadcasting: each row of
//! `elementwise.rs` names its kernel code and CPU functions; this file infers, folds and lowers
//! them.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::codes::BinaryOp;
use crate::kernel::{Lower, Operand, ShaderVariant, Storage};
use crate::ops::util::{binary_kernel, broadcast_map, broadcast_shapes, tensor_from_f64, tensor_from_i64};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{DType, Data, Tensor};

/// A binary elementwise op.
#[derive(Clone, Copy)]
pub struct Binary {
    /// The `OP` code in `binary_float.wgsl` / `binary_int.wgsl`.
    pub code: BinaryOp,
    pub float: fn(f64, f64) -> f64,
    /// Integer semantics, when the op takes integers.
    pub int: Option<fn(i64, i64) -> i64>,
}

impl Binary {
    pub const fn new(code: BinaryOp, float: fn(f64, f64) -> f64, int: fn(i64, i64) -> i64) -> Binary {
        Binary { code, float, int: Some(int) }
    }
}

/// Output shape of two broadcast inputs of the same dtype.
pub fn infer_broadcast(node: &Node, ins: &[TensorInfo]) -> Result<(DType, Vec<usize>)> {
    crate::ops::util::arity(node, ins.len(), 2)?;
    let (a, b) = (&ins[0], &ins[1]);
    if a.dtype != b.dtype {
        return Err(node.err(format!("inputs have different types: {} and {}", a.dtype, b.dtype)));
    }
    let shape = broadcast_shapes(&a.shape, &b.shape)
        .ok_or_else(|| node.err(format!("shapes {:?} and {:?} do not broadcast", a.shape, b.shape)))?;
    Ok((a.dtype, shape))
}

impl Op for Binary {
    fn f16(&self) -> bool {
        true
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        let (dtype, shape) = infer_broadcast(node, ins)?;
        if !dtype.is_float() && self.int.is_none() {
            return Err(node.err(format!("does not take {dtype} inputs")));
        }
        Ok(vec![TensorInfo::new(dtype, shape)])
    }

    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let (a, b) = (&ins[0], &ins[1]);
        if a.dtype() != b.dtype() {
            return Some(Err(node.err("inputs have different types")));
        }
        let r = match (a.data(), self.int) {
            (Data::F32(_) | Data::F64(_), _) => {
                let (av, bv) = (a.to_f64_vec().ok()?, b.to_f64_vec().ok()?);
                let (shape, v) = broadcast_map(&av, a.shape(), &bv, b.shape(), self.float)?;
                tensor_from_f64(a.dtype(), shape, v)
            }
            (Data::I32(_) | Data::I64(_) | Data::Bool(_), Some(f)) => {
                let (av, bv) = (a.to_i64_vec().ok()?, b.to_i64_vec().ok()?);
                let (shape, v) = broadcast_map(&av, a.shape(), &bv, b.shape(), f)?;
                let v = v.into_iter().map(|x| crate::tensor::wrap_int(x, a.dtype())).collect();
                tensor_from_i64(a.dtype(), shape, v)
            }
            _ => return None,
        };
        Some(r.map(|t| vec![Arc::new(t)]))
    }

    fn int64(&self) -> bool {
        true
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let v = match ins[0].storage() {
            Storage::F32 | Storage::F16 => ShaderVariant::new(&shaders::BINARY_FLOAT),
            s => ShaderVariant::new(&shaders::BINARY_INT).ty("T", s.wgsl()),
        };
        binary_kernel(cx, node, v.set("OP", self.code.code() as i64), &ins[0], &ins[1], &outs[0])
    }
}
