//! BatchMatMul, BatchMatMulV2, BatchMatMulV3: [..., M, K]·[..., K, N] with adj_x / adj_y and
//! broadcasting batch dims (V2/V3). Batch dims are merged to at most two for the kernel.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::linalg::gemm::Gemm;
use crate::ops::util::{broadcast_shapes, broadcast_strides};
use crate::ops::{Op, TensorInfo};
use crate::tensor::{DType, Tensor};

/// BatchMatMul (V2, V3), its `adj_x` / `adj_y` and `Tout` decoded when the model is loaded.
pub struct BatchMatMul {
    pub adj_x: bool,
    pub adj_y: bool,
    /// The output dtype (V3's `Tout`); absent: the inputs'.
    pub tout: Option<DType>,
}

impl BatchMatMul {
    pub fn build(node: &Node) -> Result<BatchMatMul> {
        Ok(BatchMatMul { adj_x: node.attr_bool_or("adj_x", false)?, adj_y: node.attr_bool_or("adj_y", false)?, tout: node.attr_opt_dtype("Tout")? })
    }
}

struct Dims {
    batch: Vec<usize>,
    m: usize,
    n: usize,
    k: usize,
    adj_x: bool,
    adj_y: bool,
}

fn dims(node: &Node, (adj_x, adj_y): (bool, bool), a: &[usize], b: &[usize]) -> Result<Dims> {
    if a.len() < 2 || b.len() < 2 {
        return Err(node.err(format!("expects inputs of rank ≥ 2, got {a:?} and {b:?}")));
    }
    let (ra, rb) = (a.len(), b.len());
    let (m, k) = if adj_x { (a[ra - 1], a[ra - 2]) } else { (a[ra - 2], a[ra - 1]) };
    let (k2, n) = if adj_y { (b[rb - 1], b[rb - 2]) } else { (b[rb - 2], b[rb - 1]) };
    if k != k2 {
        return Err(node.err(format!("inner dimensions differ: {a:?} and {b:?}")));
    }
    let batch = broadcast_shapes(&a[..ra - 2], &b[..rb - 2])
        .ok_or_else(|| node.err(format!("batch dims of {a:?} and {b:?} do not broadcast")))?;
    Ok(Dims { batch, m, n, k, adj_x, adj_y })
}

/// The product as a [`Gemm`] (batch dims merged to at most two), and the output shape.
fn gemm(node: &Node, adj: (bool, bool), a: &[usize], b: &[usize]) -> Result<(Gemm, Vec<usize>)> {
    let d = dims(node, adj, a, b)?;
    let mut g = Gemm::matrix(d.m, d.n, d.k, d.adj_x, d.adj_y);
    // Batch strides of A and B (in elements) over the broadcast batch shape.
    let sa: Vec<usize> = broadcast_strides(&a[..a.len() - 2], &d.batch).iter().map(|s| s * d.m * d.k).collect();
    let sb: Vec<usize> = broadcast_strides(&b[..b.len() - 2], &d.batch).iter().map(|s| s * d.k * d.n).collect();
    // Merge batch dims where both strides continue each other.
    let mut dims_: Vec<(usize, usize, usize)> = Vec::new();
    for i in 0..d.batch.len() {
        let (n, x, y) = (d.batch[i], sa[i], sb[i]);
        if n == 1 {
            continue;
        }
        if let Some(last) = dims_.last_mut() {
            if last.1 == x * n && last.2 == y * n {
                *last = (last.0 * n, x, y);
                continue;
            }
        }
        dims_.push((n, x, y));
    }
    if dims_.len() > 2 {
        return Err(node.err("more than two independent broadcast batch dims are not supported"));
    }
    while dims_.len() < 2 {
        dims_.insert(0, (1, 0, 0));
    }
    g.batch = [dims_[0].0, dims_[1].0];
    g.a_bs = [dims_[0].1, dims_[1].1];
    g.b_bs = [dims_[0].2, dims_[1].2];
    let mut shape = d.batch;
    shape.extend([d.m, d.n]);
    Ok((g, shape))
}

impl Op for BatchMatMul {
    fn f16(&self) -> bool {
        true
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        check_dtypes(node, ins)?;
        let (_, s) = gemm(node, (self.adj_x, self.adj_y), &ins[0].shape, &ins[1].shape)?;
        let dtype = self.tout.unwrap_or(ins[0].dtype);
        Ok(vec![TensorInfo::new(dtype, s)])
    }
    fn int64(&self) -> bool {
        true
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let (g, shape) = gemm(node, (self.adj_x, self.adj_y), ins[0].shape(), ins[1].shape()).ok()?;
        let dtype = self.tout.unwrap_or(ins[0].dtype());
        g.fold(&ins[0], &ins[1], dtype, shape).map(|r| r.map(|t| vec![Arc::new(t)]))
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let (g, _) = gemm(node, (self.adj_x, self.adj_y), &ins[0].shape, &ins[1].shape)?;
        if !ins[0].dtype.is_float() {
            return g.emit_int(cx, node, &ins[0], &ins[1], &outs[0]);
        }
        g.emit(cx, node, &ins[0], &ins[1], None, crate::ops::linalg::gemm::act::NONE, 0.0, &outs[0])
    }
}

/// Float or integer operands of one dtype (integer products are exact, wrapping).
pub fn check_dtypes(node: &Node, ins: &[TensorInfo]) -> Result<()> {
    let (a, b) = (ins[0].dtype, ins[1].dtype);
    if a != b {
        return Err(node.err(format!("operands have different types: {a} and {b}")));
    }
    if !(a.is_float() || matches!(a, DType::I32 | DType::I64)) {
        return Err(node.err(format!("{a} matrix products are not supported")));
    }
    Ok(())
}
