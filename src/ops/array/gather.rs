//! GatherV2(params, indices, axis) with `batch_dims`, and Gather (axis 0). Params are seen as
//! [batch, outer, n, inner] and indices as [batch, k]: one kernel, out-of-range indices give 0
//! on the GPU (as TensorFlow's GPU kernel) and an error when folding.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant};
use crate::kernel::meta::{w as word, GatherMeta};
use crate::ops::util::{gather_data, ints, norm_axis};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::Tensor;

/// `v2`: GatherV2 (axis input, batch_dims attr); else Gather.
pub struct Gather {
    pub v2: bool,
    /// GatherV2's `batch_dims`, decoded when the model is loaded.
    batch_dims: i64,
}

/// The flattened problem: output shape and [batch, outer, n, k, inner].
#[derive(Debug, PartialEq)]
pub struct GatherPlan {
    pub out: Vec<usize>,
    pub batch: usize,
    pub outer: usize,
    pub n: usize,
    pub k: usize,
    pub inner: usize,
}

pub fn gather_plan(node: &Node, params: &[usize], indices: &[usize], axis: i64, batch_dims: i64) -> Result<GatherPlan> {
    if params.is_empty() {
        return Err(node.err("params must have rank >= 1"));
    }
    let a = norm_axis(node, axis, params.len())?;
    let ri = indices.len() as i64;
    let bd = if batch_dims < 0 { batch_dims + ri } else { batch_dims };
    if bd < 0 || bd > ri || bd as usize > a {
        return Err(node.err(format!("batch_dims {batch_dims} must be in [-{ri}, {ri}] and at most the axis {a}")));
    }
    let bd = bd as usize;
    if params[..bd] != indices[..bd] {
        return Err(node.err(format!("batch dims of params {params:?} and indices {indices:?} differ")));
    }
    let p = |r: std::ops::Range<usize>| params[r].iter().product::<usize>();
    let mut out = params[..a].to_vec();
    out.extend_from_slice(&indices[bd..]);
    out.extend_from_slice(&params[a + 1..]);
    Ok(GatherPlan {
        out,
        batch: p(0..bd),
        outer: p(bd..a),
        n: params[a],
        k: indices[bd..].iter().product(),
        inner: p(a + 1..params.len()),
    })
}

impl GatherPlan {
    /// Source element of each output element (host folding); an index outside [0, n) fails.
    pub fn sources(&self, idx: &[i64]) -> std::result::Result<Vec<usize>, i64> {
        let mut out = Vec::with_capacity(self.batch * self.outer * self.k * self.inner);
        for b in 0..self.batch {
            for o in 0..self.outer {
                for j in 0..self.k {
                    let x = idx[b * self.k + j];
                    if x < 0 || x as usize >= self.n {
                        return Err(x);
                    }
                    let base = ((b * self.outer + o) * self.n + x as usize) * self.inner;
                    out.extend(base..base + self.inner);
                }
            }
        }
        Ok(out)
    }
}

impl Gather {
    pub fn build(node: &Node, v2: bool) -> Result<Gather> {
        let batch_dims = if v2 { node.attr_opt_int("batch_dims")?.unwrap_or(0) } else { 0 };
        Ok(Gather { v2, batch_dims })
    }
    fn axis(&self, node: &Node, t: Option<&Tensor>) -> Result<(i64, i64)> {
        if !self.v2 {
            return Ok((0, 0));
        }
        let t = t.ok_or_else(|| node.needs_values([2], "axis must be known when planning"))?;
        let a = ints(node, t)?;
        let &[a] = a.as_slice() else { return Err(node.err("axis must be a scalar")) };
        Ok((a, self.batch_dims))
    }
}

impl Op for Gather {
    fn int64(&self) -> bool {
        true
    }
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        self.v2 && i == 2
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        if ins[0].len() > 1 << 20 || ins[1].len() > 1 << 16 {
            return None;
        }
        Some((|| {
            let (a, bd) = self.axis(node, ins.get(2).map(|t| t.as_ref()))?;
            let p = gather_plan(node, ins[0].shape(), ins[1].shape(), a, bd)?;
            let src = p.sources(&ints(node, &ins[1])?).map_err(|x| node.err(format!("index {x} is out of range [0, {})", p.n)))?;
            Ok(vec![Arc::new(Tensor::new(ins[0].dtype(), p.out, gather_data(ins[0].data(), src.into_iter()))?)])
        })())
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), if self.v2 { 3 } else { 2 })?;
        if !ins[1].dtype.is_int() {
            return Err(node.err(format!("indices must be integers, got {}", ins[1].dtype)));
        }
        let (a, bd) = self.axis(node, ins.get(2).and_then(|t| t.value.as_deref()))?;
        let p = gather_plan(node, &ins[0].shape, &ins[1].shape, a, bd)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, p.out)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let (a, bd) = self.axis(node, ins.get(2).and_then(|t| t.value.as_deref()))?;
        let p = gather_plan(node, &ins[0].shape, &ins[1].shape, a, bd)?;
        let count = outs[0].elements();
        // 64-bit params move as pairs of words; 64-bit indices are read as (low, high) words.
        let w = crate::ops::util::words(&ins[0]);
        let meta = Meta::from(GatherMeta { count: word(count * w), outer: word(p.outer), n: word(p.n), k: word(p.k), inner: word(p.inner * w), ..Default::default() });
        let v = ShaderVariant::new(&shaders::GATHER).set("IDX64", (ins[1].storage() == crate::kernel::Storage::I64) as i64);
        cx.kernel(v, grid(count * w, 256), meta, vec![Binding::In(ins[0].id), Binding::In(ins[1].id), Binding::Out(outs[0].id)]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> Node {
        Node { name: "g".into(), op: "GatherV2".into(), inputs: vec![], controls: vec![], attrs: Default::default(), device: String::new() }
    }

    #[test]
    fn plans() {
        let p = gather_plan(&node(), &[5, 4], &[2, 2], 1, 0).unwrap();
        assert_eq!(p, GatherPlan { out: vec![5, 2, 2], batch: 1, outer: 5, n: 4, k: 4, inner: 1 });
        let p = gather_plan(&node(), &[3, 5, 4], &[3, 2], 1, 1).unwrap();
        assert_eq!(p, GatherPlan { out: vec![3, 2, 4], batch: 3, outer: 1, n: 5, k: 2, inner: 4 });
        let p = gather_plan(&node(), &[3, 5, 4], &[2], -1, 0).unwrap();
        assert_eq!(p.out, vec![3, 5, 2]);
        assert!(gather_plan(&node(), &[3, 5, 4], &[2, 2], 1, 1).is_err());
        assert!(gather_plan(&node(), &[3, 5], &[3, 2], 0, 1).is_err());
    }

    #[test]
    fn sources_with_batch_dims() {
        let p = gather_plan(&node(), &[2, 3], &[2, 1], 1, 1).unwrap();
        assert_eq!(p.sources(&[2, 0]).unwrap(), vec![2, 3]);
        assert_eq!(p.sources(&[3, 0]), Err(3));
    }
}
