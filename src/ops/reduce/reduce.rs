//! Sum, Mean, Max, Min, Prod, All, Any, EuclideanNorm over a set of axes (keep_dims either
//! way, negative axes). One workgroup per output element with a tree reduction (or one
//! invocation, for short and strided reductions); long reductions in parts, whose partial
//! results further passes reduce.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::codes::ReduceOp;
use crate::kernel::{spread_groups, grid, Binding, Lower, Meta, Operand, ShaderVariant, Storage, TensorId, LOOP_BUDGET};
use crate::kernel::meta::{dims, w, ReduceMeta};
use crate::ops::util::{check_rank, host, ints, norm_axis, strides, tensor_from_f64};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{DType, Tensor};

/// A reduction: its `OP` code in reduce.wgsl, and `keep_dims` (decoded when the model is
/// loaded, [`Reduce::build`]); a Sum's `scale`, the constant factor that fusion moved into it
/// (`_scale`, 1 without; `lower/fuse/scale.rs`).
#[derive(Clone, Copy)]
pub struct Reduce {
    pub code: ReduceOp,
    pub keep: bool,
    pub scale: f32,
}

/// The internal attribute carrying a fused Sum's factor.
pub const SCALE_ATTR: &str = "_scale";

pub const SUM: Reduce = Reduce { code: ReduceOp::Sum, keep: false, scale: 1.0 };
pub const MEAN: Reduce = Reduce { code: ReduceOp::Mean, keep: false, scale: 1.0 };
pub const MAX: Reduce = Reduce { code: ReduceOp::Max, keep: false, scale: 1.0 };
pub const MIN: Reduce = Reduce { code: ReduceOp::Min, keep: false, scale: 1.0 };
pub const PROD: Reduce = Reduce { code: ReduceOp::Prod, keep: false, scale: 1.0 };
pub const ALL: Reduce = Reduce { code: ReduceOp::All, keep: false, scale: 1.0 };
pub const ANY: Reduce = Reduce { code: ReduceOp::Any, keep: false, scale: 1.0 };
pub const EUCLIDEAN_NORM: Reduce = Reduce { code: ReduceOp::EuclideanNorm, keep: false, scale: 1.0 };

/// Sorted, unique reduced axes.
fn axes(node: &Node, rank: usize, t: &Tensor) -> Result<Vec<usize>> {
    let mut a = ints(node, t)?.into_iter().map(|x| norm_axis(node, x, rank)).collect::<Result<Vec<_>>>()?;
    // norm_axis lets axis 0 through for scalars; a scalar has no axis to reduce (as in TF).
    if rank == 0 && !a.is_empty() {
        return Err(node.err("a scalar has no axis to reduce"));
    }
    a.sort_unstable();
    a.dedup();
    Ok(a)
}

fn out_shape(keep: bool, shape: &[usize], axes: &[usize]) -> Result<Vec<usize>> {
    Ok(shape
        .iter()
        .enumerate()
        .filter_map(|(d, &s)| if axes.contains(&d) { keep.then_some(1) } else { Some(s) })
        .collect())
}

impl Reduce {
    /// This reduction for one node, its `keep_dims` decoded.
    pub fn build(self, node: &Node) -> Result<Reduce> {
        let scale = match self.code {
            ReduceOp::Sum => node.attr_opt_float(SCALE_ATTR)?.unwrap_or(1.0),
            _ => 1.0,
        };
        Ok(Reduce { keep: node.attr_bool_or("keep_dims", false)?, scale, ..self })
    }
    fn cpu(&self, v: &[f64]) -> f64 {
        match self.code {
            ReduceOp::Sum => v.iter().sum::<f64>() * self.scale as f64,
            ReduceOp::Mean => v.iter().sum::<f64>() / v.len().max(1) as f64,
            // NaN propagates, as in TensorFlow (f64::max would drop it).
            ReduceOp::Max => v.iter().copied().fold(f64::NEG_INFINITY, |a, b| if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }),
            ReduceOp::Min => v.iter().copied().fold(f64::INFINITY, |a, b| if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) }),
            ReduceOp::Prod => v.iter().product(),
            ReduceOp::All => v.iter().all(|&x| x != 0.0) as u8 as f64,
            ReduceOp::Any => v.iter().any(|&x| x != 0.0) as u8 as f64,
            ReduceOp::EuclideanNorm => v.iter().map(|x| x * x).sum::<f64>().sqrt(),
        }
    }
}

/// (shape, strides) with dims merged where one steps exactly over the next (in order), and
/// dims of size 1 dropped; at least one dim.
fn merge_dims(dims: impl Iterator<Item = (usize, usize)>) -> (Vec<usize>, Vec<usize>) {
    let mut shape: Vec<usize> = Vec::new();
    let mut st: Vec<usize> = Vec::new();
    for (d, s) in dims.filter(|&(d, _)| d != 1) {
        match (shape.last_mut(), st.last_mut()) {
            (Some(ld), Some(ls)) if *ls == s * d => {
                *ld *= d;
                *ls = s;
            }
            _ => {
                shape.push(d);
                st.push(s);
            }
        }
    }
    if shape.is_empty() {
        shape.push(1);
        st.push(0);
    }
    (shape, st)
}

impl Op for Reduce {
    fn f16(&self) -> bool {
        true
    }
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i == 1
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let x = &ins[0];
        if x.len() > 1 << 20 {
            return None;
        }
        Some((|| {
            let a = axes(node, x.rank(), &ins[1])?;
            let shape = x.shape();
            let kept: Vec<usize> = (0..shape.len()).filter(|d| !a.contains(d)).collect();
            let kept_shape: Vec<usize> = kept.iter().map(|&d| shape[d]).collect();
            let red_shape: Vec<usize> = a.iter().map(|&d| shape[d]).collect();
            let st = strides(shape);
            let v = x.to_f64_vec()?;
            let n_out: usize = kept_shape.iter().product();
            let n_red: usize = red_shape.iter().product();
            let kst: Vec<i64> = kept.iter().map(|&d| st[d] as i64).collect();
            let rst: Vec<i64> = a.iter().map(|&d| st[d] as i64).collect();
            let bases = crate::ops::util::strided_indices(&kept_shape, &kst, 0);
            let offs = crate::ops::util::strided_indices(&red_shape, &rst, 0);
            let mut out = Vec::with_capacity(n_out);
            let mut buf = Vec::with_capacity(n_red);
            for b in bases {
                buf.clear();
                buf.extend(offs.iter().map(|o| v[b + o]));
                out.push(self.cpu(&buf));
            }
            let t = tensor_from_f64(x.dtype(), out_shape(self.keep, shape, &a)?, out)?;
            Ok(vec![Arc::new(t)])
        })())
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let a = axes(node, ins[0].shape.len(), host(node, ins, 1)?)?;
        if matches!(self.code, ReduceOp::All | ReduceOp::Any) && ins[0].dtype != DType::Bool {
            return Err(node.err("All/Any take bool tensors"));
        }
        Ok(vec![TensorInfo::new(ins[0].dtype, out_shape(self.keep, &ins[0].shape, &a)?)])
    }
    fn int64(&self) -> bool {
        true
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let x = &ins[0];
        let a = axes(node, x.rank(), ins[1].value.as_ref().ok_or_else(|| node.needs_values([1], "axes must be constant"))?)?;
        check_rank(node, &x.shape)?;
        self.emit_axes(cx, x, &a, outs[0].id);
        Ok(())
    }
}

impl Reduce {
    /// Emits this reduction of `x` over the sorted axes `a` into `out` (also for pools whose
    /// window is the whole image).
    pub fn emit_axes(&self, cx: &mut Lower, x: &Operand, a: &[usize], out: TensorId) {
        let st = strides(&x.shape);
        let kept: Vec<usize> = (0..x.rank()).filter(|d| !a.contains(d)).collect();
        let ks: Vec<usize> = kept.iter().map(|&d| x.shape[d]).collect();
        let kst: Vec<usize> = kept.iter().map(|&d| st[d]).collect();
        // Adjacent reduced dims that are contiguous together (H and W of a global pool) walk
        // as one: fewer divisions per element.
        let (rs, rst) = merge_dims(a.iter().map(|&d| (x.shape[d], st[d])));
        let n_red: usize = rs.iter().product();
        let walk = Walk { kept: (ks, kst), red: (rs, rst) };
        emit(cx, (self.code, self.scale), x.id, x.dtype, x.storage(), walk, out, false, n_red);
    }
}

/// What one pass reduces: the kept dims (shape, input strides), whose elements are the
/// outputs, and the reduced ones.
struct Walk {
    kept: (Vec<usize>, Vec<usize>),
    red: (Vec<usize>, Vec<usize>),
}

/// Most reduced elements a workgroup of `main` takes whole, and the part each takes of longer
/// reductions; most an invocation of `serial` takes whole, and its part of longer ones.
const GROUP_WHOLE: usize = 65536;
const GROUP_PART: usize = 16384;
const SERIAL_WHOLE: usize = 4096;
const SERIAL_PART: usize = 1024;

/// Emits the passes of a reduction of `x` walked by `walk` into `out`; `partial_in`: x holds
/// partial results of an earlier pass; `count`: the whole reduction's element count; `scale`:
/// a sum's factor, applied by the final pass.
#[allow(clippy::too_many_arguments)]
fn emit(cx: &mut Lower, (code, scale): (ReduceOp, f32), x: TensorId, dtype: DType, storage: Storage, walk: Walk, out: TensorId, partial_in: bool, count: usize) {
    let Walk { kept: (ks, kst), red: (rs, rst) } = walk;
    let n_out: usize = ks.iter().product();
    let n_red: usize = rs.iter().product();
    // Loop iterations per reduced element: its load, and the walk over several reduced dims.
    let per = if rs.len() == 1 { 1 } else { rs.len() + 1 };
    let lane_max = LOOP_BUDGET / per;
    // One invocation per output for short reductions over many outputs, and for strided ones
    // (a global pool over NHWC: neighbouring invocations read neighbouring channels, one pass
    // over the input); else a workgroup per output, its lanes reading contiguous elements.
    let strided = rst.last().is_some_and(|&s| s != 1) && n_out >= 8;
    let serial = (n_red <= 256 && n_out >= 64) || strided;
    let chunk = match serial {
        true if n_red <= SERIAL_WHOLE.min(lane_max) => n_red,
        true => SERIAL_PART.min(lane_max),
        false if n_red <= GROUP_WHOLE.min(256 * lane_max) => n_red,
        false => GROUP_PART.min(256 * lane_max),
    }
    .max(1);
    let parts = n_red.div_ceil(chunk).max(1);
    // Floats are computed in f32 and partial results kept in f32 (under `--precision f16` the
    // input and output may be f16).
    let t = if storage.is_float() { Storage::F32 } else { storage };
    let dst = if parts > 1 { cx.temp_as(dtype, vec![n_out * parts], t) } else { out };
    let meta = Meta::from(ReduceMeta {
        n_out: w(n_out), n_red: w(n_red), kept_rank: w(ks.len()), red_rank: w(rs.len()),
        parts: w(parts), chunk: w(chunk), count: w(count), scale: if parts > 1 { 1.0 } else { scale },
        kept_shape: dims(&ks, 1), kept_strides: dims(&kst, 0), red_shape: dims(&rs, 1), red_strides: dims(&rst, 0),
    });
    let y = cx.storage_of_tensor(dst);
    let v = ShaderVariant::new(&shaders::REDUCE).ty("T", t.wgsl()).ty("X", storage.wgsl()).ty("Y", y.wgsl()).set("OP", code.code() as i64).set("PARTIAL_IN", partial_in).set("PARTIAL_OUT", parts > 1);
    let (v, groups) = match serial {
        true => (v.entry("serial"), grid(n_out * parts, 64)),
        false => (cx.target().group_reduce(v, t), spread_groups(n_out * parts)),
    };
    cx.kernel(v, groups, meta, vec![Binding::In(x), Binding::Out(dst)]);
    if parts > 1 {
        // The partial results: `serial` wrote them [parts, n_out], `main` [n_out, parts].
        let (kst, rst) = if serial { (1, n_out) } else { (parts, 1) };
        let walk = Walk { kept: (vec![n_out], vec![kst]), red: (vec![parts], vec![rst]) };
        emit(cx, (code, scale), dst, dtype, t, walk, out, true, count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_reduced_dims_merge() {
        // NHWC [2, 7, 7, 16] reduced over H and W: one dim of 49 with stride 16.
        assert_eq!(merge_dims([(7, 112), (7, 16)].into_iter()), (vec![49], vec![16]));
        // Over N and W: not adjacent in memory, kept apart.
        assert_eq!(merge_dims([(2, 784), (7, 16)].into_iter()), (vec![2, 7], vec![784, 16]));
        assert_eq!(merge_dims([(1, 5)].into_iter()), (vec![1], vec![0]));
    }
}
