//! TopKV2(input, k) and TopK (k attribute): the k largest entries of the last dim, sorted
//! descending (ties: lower index first), with their indices (int32 or `index_type`). A merge
//! sort that keeps the best k of every run (reduce/top_k.wgsl): blocks of 256 ranked in
//! workgroup memory, then log2(len / 256) merge passes; k is known when planning.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::meta::{w, TopKMeta};
use crate::kernel::{spread_groups, grid, Binding, Lower, Meta, Operand, ShaderVariant, TensorId};
use crate::ops::util::{gather_data, host, ints, tensor_from_i64};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{DType, Tensor};

/// `v2`: TopKV2 (k is input 1); else TopK (k attribute).
pub struct TopK {
    pub v2: bool,
    /// TopK's `k` attribute (TopKV2: none, k is input 1).
    k: Option<i64>,
    /// `index_type`.
    index: DType,
}

/// (output shape, k) for the last dim.
fn plan(node: &Node, shape: &[usize], k: i64) -> Result<(Vec<usize>, usize)> {
    let Some(&n) = shape.last() else { return Err(node.err("input must have rank >= 1")) };
    let k = usize::try_from(k).map_err(|_| node.err(format!("k {k} is negative")))?;
    if k > n {
        return Err(node.err(format!("k {k} is larger than the last dim {n}")));
    }
    let mut out = shape.to_vec();
    *out.last_mut().unwrap() = k;
    Ok((out, k))
}

/// Indices of the k largest values of a row, in TopK order.
pub fn top_k_row(v: &[f64], k: usize) -> Vec<usize> {
    use std::cmp::Ordering;
    // A total order, as the kernel's: NaN above every number.
    let above = |w: f64, x: f64| if w.is_nan() { !x.is_nan() } else { w > x };
    let mut idx: Vec<usize> = (0..v.len()).collect();
    // Stable: equal values keep index order.
    idx.sort_by(|&a, &b| match (above(v[a], v[b]), above(v[b], v[a])) {
        (true, _) => Ordering::Less,
        (_, true) => Ordering::Greater,
        _ => Ordering::Equal,
    });
    idx.truncate(k);
    idx
}

fn index_type(node: &Node) -> Result<DType> {
    let t = node.attr_opt_dtype("index_type")?.unwrap_or(DType::I32);
    if !t.is_int() {
        return Err(node.err(format!("index_type {t} is not an integer type")));
    }
    Ok(t)
}

impl TopK {
    /// The op of one node, its attributes (`index_type`; TopK's `k`) decoded.
    pub fn build(node: &Node, v2: bool) -> Result<TopK> {
        let k = if v2 { None } else { Some(node.attr_int("k")?) };
        Ok(TopK { v2, k, index: index_type(node)? })
    }
    fn k(&self, node: &Node, t: Option<&Tensor>) -> Result<i64> {
        if let Some(k) = self.k {
            return Ok(k);
        }
        let v = ints(node, t.ok_or_else(|| node.needs_values([1], "k must be known when planning"))?)?;
        let &[k] = v.as_slice() else { return Err(node.err("k must be a scalar")) };
        Ok(k)
    }
}

impl Op for TopK {
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        self.v2 && i == 1
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let x = &ins[0];
        if x.len() > 1 << 20 {
            return None;
        }
        Some((|| {
            let (out, k) = plan(node, x.shape(), self.k(node, ins.get(1).map(|t| t.as_ref()))?)?;
            let n = *x.shape().last().unwrap_or(&1);
            let v = x.to_f64_vec()?;
            let (mut src, mut idx) = (Vec::new(), Vec::new());
            let rows = x.len().checked_div(n).unwrap_or(0);
            for r in 0..rows {
                for j in top_k_row(&v[r * n..(r + 1) * n], k) {
                    src.push(r * n + j);
                    idx.push(j as i64);
                }
            }
            let values = Tensor::new(x.dtype(), out.clone(), gather_data(x.data(), src.into_iter()))?;
            Ok(vec![Arc::new(values), Arc::new(tensor_from_i64(self.index, out, idx)?)])
        })())
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), if self.v2 { 2 } else { 1 })?;
        let k = if self.v2 { Some(host(node, ins, 1)?.as_ref()) } else { None };
        let (out, _) = plan(node, &ins[0].shape, self.k(node, k)?)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, out.clone()), TensorInfo::new(self.index, out)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let x = &ins[0];
        let (_, k) = plan(node, &x.shape, self.k(node, ins.get(1).and_then(|t| t.value.as_deref()))?)?;
        let len = *x.shape.last().unwrap_or(&1);
        if k == 0 || len == 0 {
            return Ok(());
        }
        emit(cx, x.id, x.dtype, x.storage().wgsl(), x.elements() / len, len, k, (outs[0].id, outs[1].id));
        Ok(())
    }
}

/// Emits the kernels writing the k best of each of `rows` rows of `len` (k <= len) of tensor
/// `x` into `out` (values [rows, k] of x's dtype, i32 indices).
#[allow(clippy::too_many_arguments)]
fn emit(cx: &mut Lower, x: TensorId, dtype: DType, ty: &'static str, rows: usize, len: usize, k: usize, out: (TensorId, TensorId)) {
    let v = ShaderVariant::new(&shaders::TOP_K).ty("T", ty);
    // Runs of the best min(k, 256) of each block of 256, then pairwise merges of runs.
    let mut nruns = len.div_ceil(256);
    let mut run = if nruns == 1 { k } else { k.min(256) };
    let (mut rv, mut ri) = if nruns == 1 { out } else { (cx.temp(dtype, vec![rows * nruns * run]), cx.temp(DType::I32, vec![rows * nruns * run])) };
    let meta = Meta::from(TopKMeta { rows: w(rows), len: w(len), runs: w(nruns), run: w(run), k: w(k), ..Default::default() });
    let groups = spread_groups(rows * nruns);
    if k * 4 <= nruns {
        // Few of many: the k best of the blocks' maxima give a threshold that leaves most
        // elements out of the runs.
        let maxima = cx.temp(dtype, vec![rows * nruns]);
        cx.kernel(v.clone().entry("maxima"), grid(rows * nruns, 256), meta.clone(), vec![Binding::In(x), Binding::Out(maxima)]);
        let best = (cx.temp(dtype, vec![rows * k]), cx.temp(DType::I32, vec![rows * k]));
        emit(cx, maxima, dtype, ty, rows, nruns, k, best);
        cx.kernel(v.clone().entry("block_filtered"), groups, meta, vec![Binding::In(x), Binding::Out(rv), Binding::Out(ri), Binding::In(best.0)]);
    } else {
        cx.kernel(v.clone().entry("block"), groups, meta, vec![Binding::In(x), Binding::Out(rv), Binding::Out(ri)]);
    }
    while nruns > 1 {
        let out_runs = nruns.div_ceil(2);
        let out_run = k.min(2 * run);
        let (ov, oi) = if out_runs == 1 { out } else { (cx.temp(dtype, vec![rows * out_runs * out_run]), cx.temp(DType::I32, vec![rows * out_runs * out_run])) };
        let total = rows * out_runs * 2 * run;
        let meta = Meta::from(TopKMeta { rows: w(rows), runs: w(nruns), run: w(run), out_run: w(out_run), total: w(total), out_runs: w(out_runs), ..Default::default() });
        cx.kernel(v.clone().entry("merge"), grid(total, 256), meta, vec![Binding::In(rv), Binding::Out(ov), Binding::Out(oi), Binding::In(ri)]);
        (nruns, run, rv, ri) = (out_runs, out_run, ov, oi);
    }
    debug_assert_eq!(run, k, "the last run holds k");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_sorted_with_stable_ties() {
        assert_eq!(top_k_row(&[1.0, 5.0, 3.0, 5.0], 3), vec![1, 3, 2]);
        assert_eq!(top_k_row(&[2.0, 1.0], 0), Vec::<usize>::new());
        assert_eq!(top_k_row(&[1.0, f64::NAN, 3.0, f64::NAN], 4), vec![1, 3, 2, 0]);
    }
}
