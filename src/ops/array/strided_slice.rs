//! StridedSlice with all five masks (begin, end, ellipsis, new_axis, shrink_axis), negative
//! strides and indices; Slice (begin, size). One strided-copy kernel, or a fold on the CPU.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::util::{gather_data, host, ints, strided_copy, strided_indices, strides};
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

/// The slice of an input shape: per input dim (start, step, count), and the output shape.
#[derive(Debug, PartialEq)]
pub struct SliceSpec {
    pub start: Vec<i64>,
    pub step: Vec<i64>,
    pub count: Vec<usize>,
    pub out_shape: Vec<usize>,
}

impl SliceSpec {
    /// Input strides scaled by steps, and the base offset.
    pub fn strides(&self, in_shape: &[usize]) -> (Vec<i64>, i64) {
        let st = strides(in_shape);
        let s: Vec<i64> = st.iter().zip(&self.step).map(|(&a, &b)| a as i64 * b).collect();
        let base = st.iter().zip(&self.start).map(|(&a, &b)| a as i64 * b).sum();
        (s, base)
    }
}

/// TensorFlow's StridedSlice semantics.
/// `masks`: begin, end, ellipsis, new_axis and shrink_axis masks ([`StridedSlice::build`]).
pub fn strided_spec(node: &Node, masks: [i64; 5], shape: &[usize], begin: &[i64], end: &[i64], stride: &[i64]) -> Result<SliceSpec> {
    let [mut bm, mut em, mut el, na, sh] = masks;
    if begin.len() != end.len() || begin.len() != stride.len() {
        return Err(node.err("begin, end and strides must have the same length"));
    }
    let mut sparse = begin.len();
    if el & (el - 1) != 0 {
        return Err(node.err("at most one ellipsis is allowed"));
    }
    let mut begin = begin.to_vec();
    let mut end = end.to_vec();
    let mut stride = stride.to_vec();
    if el == 0 {
        el = 1 << sparse;
        sparse += 1;
        begin.push(0);
        end.push(0);
        stride.push(1);
    }
    let dims = shape.len();
    // Dense spec.
    let mut d_begin = vec![0i64; dims];
    let mut d_end = vec![0i64; dims];
    let mut d_stride = vec![1i64; dims];
    let (mut d_bm, mut d_em, mut d_sh) = (vec![false; dims], vec![false; dims], vec![false; dims]);
    enum G {
        New,
        Dim(usize),
    }
    let mut gather: Vec<G> = Vec::new();
    let mut full = 0usize;
    for i in 0..sparse {
        let bit = 1i64 << i;
        if el & bit != 0 {
            let after_new = (i + 1..sparse).filter(|j| na & (1 << j) != 0).count();
            let next = (dims + 1 + after_new).saturating_sub(sparse - i).min(dims);
            while full < next {
                d_bm[full] = true;
                d_em[full] = true;
                gather.push(G::Dim(full));
                full += 1;
            }
        } else if na & bit != 0 {
            gather.push(G::New);
        } else {
            if full >= dims {
                return Err(node.err(format!("slice index {i} is out of range for rank {dims}")));
            }
            d_begin[full] = begin[i];
            d_end[full] = end[i];
            d_stride[full] = stride[i];
            d_bm[full] = bm & bit != 0;
            d_em[full] = em & bit != 0;
            d_sh[full] = sh & bit != 0;
            if !d_sh[full] {
                gather.push(G::Dim(full));
            }
            full += 1;
        }
    }
    bm = 0;
    em = 0;
    let _ = (bm, em);
    let mut start = vec![0i64; dims];
    let mut count = vec![0usize; dims];
    for d in 0..dims {
        let n = shape[d] as i64;
        let s = d_stride[d];
        if s == 0 {
            return Err(node.err("strides must be non-zero"));
        }
        if d_sh[d] {
            let b = if d_begin[d] < 0 { d_begin[d] + n } else { d_begin[d] };
            if b < 0 || b >= n {
                return Err(node.err(format!("index {} is out of bounds for dim {d} of size {n}", d_begin[d])));
            }
            start[d] = b;
            count[d] = 1;
            d_stride[d] = 1;
            continue;
        }
        let canon = |x: i64, masked: bool, is_begin: bool| -> i64 {
            if masked {
                return match (is_begin, s > 0) {
                    (true, true) => 0,
                    (true, false) => n - 1,
                    (false, true) => n,
                    (false, false) => -1,
                };
            }
            let x = if x < 0 { x + n } else { x };
            if s > 0 { x.clamp(0, n) } else { x.clamp(-1, n - 1) }
        };
        let b = canon(d_begin[d], d_bm[d], true);
        let e = canon(d_end[d], d_em[d], false);
        let len = if s > 0 { (e - b + s - 1).div_euclid(s) } else { (b - e + (-s) - 1).div_euclid(-s) };
        start[d] = b;
        count[d] = len.max(0) as usize;
    }
    let out_shape = gather.iter().map(|g| match g { G::New => 1, G::Dim(d) => count[*d] }).collect();
    Ok(SliceSpec { start, step: d_stride, count, out_shape })
}

/// StridedSlice (`slice = false`) or Slice (`slice = true`: inputs begin and size). StridedSlice's
/// masks are decoded when the model is loaded ([`StridedSlice::build`]).
pub struct StridedSlice {
    pub slice: bool,
    masks: [i64; 5],
}

impl StridedSlice {
    /// The op of one node: Slice, or StridedSlice with its masks decoded.
    pub fn build(node: &Node, slice: bool) -> Result<StridedSlice> {
        let mut masks = [0; 5];
        if !slice {
            for (m, n) in masks.iter_mut().zip(["begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"]) {
                *m = node.attr_opt_int(n)?.unwrap_or(0);
            }
        }
        Ok(StridedSlice { slice, masks })
    }
    fn spec(&self, node: &Node, shape: &[usize], ins: &[&Tensor]) -> Result<SliceSpec> {
        if self.slice {
            let b = ints(node, ins[0])?;
            let sz = ints(node, ins[1])?;
            if b.len() != shape.len() || sz.len() != shape.len() {
                return Err(node.err("begin and size must have one entry per dim"));
            }
            let mut count = Vec::new();
            for d in 0..shape.len() {
                let n = shape[d] as i64;
                let c = if sz[d] == -1 { n - b[d] } else { sz[d] };
                if b[d] < 0 || c < 0 || b[d] + c > n {
                    return Err(node.err(format!("slice [{}, +{}) is out of bounds for dim {d} of size {n}", b[d], sz[d])));
                }
                count.push(c as usize);
            }
            return Ok(SliceSpec { start: b, step: vec![1; shape.len()], out_shape: count.clone(), count });
        }
        strided_spec(node, self.masks, shape, &ints(node, ins[0])?, &ints(node, ins[1])?, &ints(node, ins[2])?)
    }
}

impl Op for StridedSlice {
    fn f16(&self) -> bool {
        true
    }
    fn int64(&self) -> bool {
        true
    }
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i >= 1
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let rest: Vec<&Tensor> = ins[1..].iter().map(|t| t.as_ref()).collect();
        Some(self.spec(node, ins[0].shape(), &rest).and_then(|sp| {
            let (st, base) = sp.strides(ins[0].shape());
            let d = gather_data(ins[0].data(), strided_indices(&sp.count, &st, base).into_iter());
            Ok(vec![Arc::new(Tensor::new(ins[0].dtype(), sp.out_shape, d)?)])
        }))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), if self.slice { 3 } else { 4 })?;
        let rest = (1..ins.len()).map(|i| host(node, ins, i).map(|t| t.as_ref())).collect::<Result<Vec<_>>>()?;
        let sp = self.spec(node, &ins[0].shape, &rest)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, sp.out_shape)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let rest = ins[1..]
            .iter()
            .map(|o| o.value.as_deref().ok_or_else(|| node.needs_values(1..ins.len(), "slice bounds must be constant")))
            .collect::<Result<Vec<_>>>()?;
        let sp = self.spec(node, &ins[0].shape, &rest)?;
        let (st, base) = sp.strides(&ins[0].shape);
        let dense = Operand { shape: sp.count.clone(), ..outs[0].clone() };
        strided_copy(cx, node, &ins[0], &dense, base, &st)
    }
}
