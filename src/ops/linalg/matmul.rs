//! MatMul: [M,K]·[K,N] with transpose_a / transpose_b; float, or integer (exact, wrapping).
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::linalg::gemm::Gemm;
use crate::ops::linalg::batch_matmul::check_dtypes;
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

/// MatMul, its `transpose_a` / `transpose_b` decoded when the model is loaded.
pub struct MatMul {
    pub ta: bool,
    pub tb: bool,
}

impl MatMul {
    pub fn build(node: &Node) -> Result<MatMul> {
        Ok(MatMul { ta: node.attr_bool_or("transpose_a", false)?, tb: node.attr_bool_or("transpose_b", false)? })
    }
}

/// (M, N, K, transpose_a, transpose_b) of a matrix product (`ta`, `tb` transposing A and B) on
/// two shapes.
pub fn dims(node: &Node, (ta, tb): (bool, bool), a: &[usize], b: &[usize]) -> Result<(usize, usize, usize, bool, bool)> {
    if a.len() != 2 || b.len() != 2 {
        return Err(node.err(format!("expects 2-D inputs, got {a:?} and {b:?}")));
    }
    let (m, k) = if ta { (a[1], a[0]) } else { (a[0], a[1]) };
    let (k2, n) = if tb { (b[1], b[0]) } else { (b[0], b[1]) };
    if k != k2 {
        return Err(node.err(format!("inner dimensions differ: {a:?} and {b:?} (transpose_a={ta}, transpose_b={tb})")));
    }
    Ok((m, n, k, ta, tb))
}

impl Op for MatMul {
    fn f16(&self) -> bool {
        true
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        check_dtypes(node, ins)?;
        let (m, n, _, _, _) = dims(node, (self.ta, self.tb), &ins[0].shape, &ins[1].shape)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, vec![m, n])])
    }
    fn int64(&self) -> bool {
        true
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let (m, n, k, ta, tb) = dims(node, (self.ta, self.tb), ins[0].shape(), ins[1].shape()).ok()?;
        Gemm::matrix(m, n, k, ta, tb).fold(&ins[0], &ins[1], ins[0].dtype(), vec![m, n]).map(|r| r.map(|t| vec![Arc::new(t)]))
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let (m, n, k, ta, tb) = dims(node, (self.ta, self.tb), &ins[0].shape, &ins[1].shape)?;
        let g = Gemm::matrix(m, n, k, ta, tb);
        if !ins[0].dtype.is_float() {
            return g.emit_int(cx, node, &ins[0], &ins[1], &outs[0]);
        }
        g.emit(cx, node, &ins[0], &ins[1], None, crate::ops::linalg::gemm::act::NONE, 0.0, &outs[0])
    }
}
