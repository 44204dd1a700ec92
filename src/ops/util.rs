//! Helpers shared by the op files: broadcasting, strides, axes, host values, and the common
//! lowering patterns (elementwise, strided copies).
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant, MAX_RANK};
use crate::kernel::meta::{dims, dims_i, divisors, w, BroadcastMeta, CopyMeta, StridedCopyMeta};
use crate::shaders;
use crate::tensor::{num_elements, DType, Data, Tensor};

/// Row-major strides of a shape.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

/// NumPy broadcasting of two shapes.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let mut out = vec![0; r];
    for i in 0..r {
        let da = if i + a.len() >= r { a[i + a.len() - r] } else { 1 };
        let db = if i + b.len() >= r { b[i + b.len() - r] } else { 1 };
        out[i] = if da == db {
            da
        } else if da == 1 {
            db
        } else if db == 1 {
            da
        } else {
            return None;
        };
    }
    Some(out)
}

/// Strides of `shape` seen through broadcasting to `out` (0 on broadcast dims).
pub fn broadcast_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let s = strides(shape);
    let off = out.len() - shape.len();
    (0..out.len())
        .map(|i| if i < off || shape[i - off] == 1 { 0 } else { s[i - off] })
        .collect()
}

/// A possibly negative axis, checked against the rank.
pub fn norm_axis(node: &Node, axis: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    if axis < -r || axis >= r.max(1) {
        return Err(node.err(format!("axis {axis} is out of range for rank {rank}")));
    }
    Ok(if axis < 0 { (axis + r) as usize } else { axis as usize })
}

/// The integer values of a host tensor.
pub fn ints(node: &Node, t: &Tensor) -> Result<Vec<i64>> {
    if !(t.dtype().is_int()) {
        return Err(node.err(format!("expected an integer tensor, got {}", t.dtype())));
    }
    t.to_i64_vec()
}

/// The inputs whose values are not known (for [`Node::needs_values`]).
pub fn missing(ins: &[crate::ops::TensorInfo]) -> Vec<usize> {
    ins.iter().enumerate().filter(|(_, t)| t.value.is_none()).map(|(i, _)| i).collect()
}

/// The value of input `i`, which must be known at plan time.
pub fn host<'a>(node: &Node, ins: &'a [crate::ops::TensorInfo], i: usize) -> Result<&'a Arc<Tensor>> {
    ins.get(i)
        .and_then(|t| t.value.as_ref())
        .ok_or_else(|| node.needs_values([i], format!("input {i} must be a constant (or computable from shapes)")))
}

/// Checks the number of inputs.
pub fn arity(node: &Node, n: usize, want: usize) -> Result<()> {
    if n < want {
        return Err(node.err(format!("expects {want} inputs, has {n}")));
    }
    Ok(())
}

/// Checks a rank fits the generic kernels.
pub fn check_rank(node: &Node, shape: &[usize]) -> Result<()> {
    if shape.len() > MAX_RANK {
        return Err(node.err(format!("rank {} is above the supported {MAX_RANK}", shape.len())));
    }
    Ok(())
}

/// Collapses adjacent dims that are contiguous in both the output walk and the strides,
/// so kernels loop over as few dims as possible. Returns (shape, strides).
pub fn simplify(shape: &[usize], st: &[i64]) -> (Vec<usize>, Vec<i64>) {
    let mut sh: Vec<usize> = Vec::new();
    let mut ss: Vec<i64> = Vec::new();
    for (&d, &s) in shape.iter().zip(st) {
        if d == 1 {
            continue;
        }
        if let (Some(&ld), Some(&ls)) = (sh.last(), ss.last()) {
            if ls == s * d as i64 {
                *sh.last_mut().unwrap() = ld * d;
                *ss.last_mut().unwrap() = s;
                continue;
            }
        }
        sh.push(d);
        ss.push(s);
    }
    if sh.is_empty() {
        sh.push(1);
        ss.push(0);
    }
    (sh, ss)
}

/// out[i] = in[base + Σ coord_d · stride_d] over `out`'s shape (signed strides).
/// 64-bit elements move as two 32-bit words: a trailing dim of 2.
pub fn strided_copy(cx: &mut Lower, node: &Node, input: &Operand, out: &Operand, base: i64, st: &[i64]) -> Result<()> {
    let (shape, st, base) = word_view(out, &out.shape, st, base);
    let (shape, st) = simplify(&shape, &st);
    check_rank(node, &shape)?;
    let n: usize = shape.iter().product();
    let meta = Meta::from(StridedCopyMeta { n: w(n), rank: w(shape.len()), base: base as u32, shape: dims(&shape, 1), strides: dims_i(&st), ..Default::default() });
    cx.kernel(ShaderVariant::new(&shaders::STRIDED_COPY), grid(n, 256), meta, vec![Binding::In(input.id), Binding::Out(out.id)]);
    Ok(())
}

/// Writes all of `input` into `out` at `base`, coordinates over input's shape mapped with `st`.
pub fn copy_into(cx: &mut Lower, node: &Node, input: &Operand, out: &Operand, base: usize, st: &[usize]) -> Result<()> {
    let sti: Vec<i64> = st.iter().map(|&s| s as i64).collect();
    let (shape, sti, base) = word_view(out, &input.shape, &sti, base as i64);
    let base = base as usize;
    let (shape, st) = simplify(&shape, &sti);
    check_rank(node, &shape)?;
    let st: Vec<usize> = st.iter().map(|&s| s as usize).collect();
    let n: usize = shape.iter().product();
    let meta = Meta::from(CopyMeta { n: w(n), rank: w(shape.len()), base: w(base), shape: dims(&shape, 1), strides: dims(&st, 0), ..Default::default() });
    cx.kernel(ShaderVariant::new(&shaders::COPY_INTO), grid(n, 256), meta, vec![Binding::In(input.id), Binding::Out(out.id)]);
    Ok(())
}

/// A walk (shape, element strides, base) over `t`'s elements as 32-bit words: 64-bit elements
/// get a trailing dim of 2 words, and strides and base scale to words.
pub fn word_view(t: &Operand, shape: &[usize], st: &[i64], base: i64) -> (Vec<usize>, Vec<i64>, i64) {
    let w = words(t);
    if w == 1 {
        return (shape.to_vec(), st.to_vec(), base);
    }
    let mut shape = shape.to_vec();
    shape.push(w);
    let mut st: Vec<i64> = st.iter().map(|&s| s * w as i64).collect();
    st.push(1);
    (shape, st, base * w as i64)
}

/// 32-bit words per element of `t` (2 for 64-bit integers; 1 for f16, which the copy kernels
/// move as f16 elements: see common/copy_words.wgsl).
pub fn words(t: &Operand) -> usize {
    (t.storage().bytes() / 4).max(1) as usize
}

/// A binary elementwise kernel with broadcasting: `shader` is one of the binary shaders.
pub fn binary_kernel(cx: &mut Lower, node: &Node, variant: ShaderVariant, a: &Operand, b: &Operand, out: &Operand) -> Result<()> {
    check_rank(node, &out.shape)?;
    let n = out.elements();
    if a.elements() == n && b.elements() == n {
        let v = variant.entry("dense");
        dense_chunks(cx, &[a, b], out, |cx, ins, out, n| {
            cx.kernel(v.clone(), grid(n, 256), Meta::from(BroadcastMeta { n: w(n), ..Default::default() }), vec![Binding::In(ins[0].id), Binding::In(ins[1].id), Binding::Out(out.id)]);
        });
        return Ok(());
    }
    let [sa, sb]: [Vec<usize>; 2] = [broadcast_strides(&a.shape, &out.shape), broadcast_strides(&b.shape, &out.shape)];
    let (shape, st) = merge_walk(&out.shape, &[sa, sb]);
    let (magic, shifts) = divisors(&shape);
    let meta = Meta::from(BroadcastMeta { n: w(n), rank: w(shape.len()), shape: dims(&shape, 1), sa: dims(&st[0], 0), sb: dims(&st[1], 0), magic, shifts, ..Default::default() });
    cx.kernel(variant, grid(n, 256), meta, vec![Binding::In(a.id), Binding::In(b.id), Binding::Out(out.id)]);
    Ok(())
}

/// The most windows a kernel is split into (beyond, tensors are refused as too large).
pub const MAX_WINDOWS: usize = 1024;

/// Emits an elementwise kernel (`emit(cx, inputs, output, count)`) over same-shape operands;
/// when one is larger than a storage binding, in chunks over windows that each fit one (chunk
/// starts are multiples of 64 elements, so window offsets are multiples of 256 bytes).
pub fn dense_chunks(cx: &mut Lower, ins: &[&Operand], out: &Operand, mut emit: impl FnMut(&mut Lower, &[Operand], &Operand, usize)) {
    let n = out.elements();
    let widest = ins.iter().chain([&out]).map(|o| o.storage.bytes()).max().unwrap_or(4);
    let max = cx.target().max_binding;
    let chunk = (max / widest / 64 * 64) as usize;
    // At most MAX_WINDOWS chunks: a larger tensor (an absurd fed shape) is emitted whole, for
    // the plan's limit check to refuse.
    if max == 0 || n as u64 * widest <= max || chunk == 0 || n.div_ceil(chunk) > MAX_WINDOWS {
        let all: Vec<Operand> = ins.iter().map(|&o| o.clone()).collect();
        emit(cx, &all, out, n);
        return;
    }
    for start in (0..n).step_by(chunk) {
        let len = chunk.min(n - start);
        let iw: Vec<Operand> = ins.iter().map(|o| cx.window(o, start, vec![len])).collect();
        let ow = cx.window(out, start, vec![len]);
        emit(cx, &iw, &ow, len);
    }
}

/// A walk over `shape` reading operands with strides `st`, with dims of size 1 dropped and
/// adjacent dims merged where every operand steps over the inner one exactly (so kernels
/// decompose the index into as few coordinates as possible). At least one dim.
pub fn merge_walk(shape: &[usize], st: &[Vec<usize>]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut sh: Vec<usize> = Vec::new();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); st.len()];
    for (d, &dim) in shape.iter().enumerate() {
        if dim == 1 {
            continue;
        }
        let mergeable = !sh.is_empty() && st.iter().zip(&out).all(|(s, o)| *o.last().unwrap() == s[d] * dim);
        if mergeable {
            *sh.last_mut().unwrap() *= dim;
            for (s, o) in st.iter().zip(out.iter_mut()) {
                *o.last_mut().unwrap() = s[d];
            }
        } else {
            sh.push(dim);
            for (s, o) in st.iter().zip(out.iter_mut()) {
                o.push(s[d]);
            }
        }
    }
    if sh.is_empty() {
        sh.push(1);
        out.iter_mut().for_each(|o| o.push(0));
    }
    (sh, out)
}

/// CPU broadcasting for folds: applies `f` over the broadcast of `a` and `b`.
pub fn broadcast_map<T: Copy, U>(a: &[T], ash: &[usize], b: &[T], bsh: &[usize], f: impl Fn(T, T) -> U) -> Option<(Vec<usize>, Vec<U>)> {
    let out = broadcast_shapes(ash, bsh)?;
    let n = num_elements(&out).ok()?;
    let sa = broadcast_strides(ash, &out);
    let sb = broadcast_strides(bsh, &out);
    let mut v = Vec::with_capacity(n);
    let mut idx = vec![0usize; out.len()];
    for _ in 0..n {
        let ia: usize = idx.iter().zip(&sa).map(|(i, s)| i * s).sum();
        let ib: usize = idx.iter().zip(&sb).map(|(i, s)| i * s).sum();
        v.push(f(a[ia], b[ib]));
        for d in (0..out.len()).rev() {
            idx[d] += 1;
            if idx[d] < out[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    Some((out, v))
}

/// Builds a tensor of `dtype` from f64 values (folding helper).
pub fn tensor_from_f64(dtype: DType, shape: Vec<usize>, v: Vec<f64>) -> Result<Tensor> {
    let data = match dtype.host_class() {
        crate::tensor::HostClass::F32 => Data::F32(v.into_iter().map(|x| x as f32).collect()),
        crate::tensor::HostClass::F64 => Data::F64(v),
        crate::tensor::HostClass::I32 => Data::I32(v.into_iter().map(|x| x as i32).collect()),
        crate::tensor::HostClass::I64 => Data::I64(v.into_iter().map(|x| x as i64).collect()),
        crate::tensor::HostClass::Bool => Data::Bool(v.into_iter().map(|x| x != 0.0).collect()),
        crate::tensor::HostClass::Str => return Err(crate::Error::Tensor("string fold".into())),
    };
    Tensor::new(dtype, shape, data)
}

/// Builds a tensor of an integer `dtype` from i64 values.
pub fn tensor_from_i64(dtype: DType, shape: Vec<usize>, v: Vec<i64>) -> Result<Tensor> {
    let data = match dtype.host_class() {
        crate::tensor::HostClass::I32 => Data::I32(v.into_iter().map(|x| x as i32).collect()),
        crate::tensor::HostClass::I64 => Data::I64(v),
        crate::tensor::HostClass::F32 => Data::F32(v.into_iter().map(|x| x as f32).collect()),
        crate::tensor::HostClass::F64 => Data::F64(v.into_iter().map(|x| x as f64).collect()),
        crate::tensor::HostClass::Bool => Data::Bool(v.into_iter().map(|x| x != 0).collect()),
        crate::tensor::HostClass::Str => return Err(crate::Error::Tensor("string fold".into())),
    };
    Tensor::new(dtype, shape, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting() {
        assert_eq!(broadcast_shapes(&[2, 3, 4], &[4]), Some(vec![2, 3, 4]));
        assert_eq!(broadcast_shapes(&[1, 4], &[3, 1]), Some(vec![3, 4]));
        assert_eq!(broadcast_shapes(&[2], &[3]), None);
        assert_eq!(broadcast_strides(&[3, 1], &[2, 3, 4]), vec![0, 1, 0]);
        let (s, v) = broadcast_map(&[1, 2], &[2, 1], &[10, 20, 30], &[3], |a, b| a + b).unwrap();
        assert_eq!(s, vec![2, 3]);
        assert_eq!(v, vec![11, 21, 31, 12, 22, 32]);
    }

    #[test]
    fn broadcast_walks_merge() {
        // [1,7,7,16] * [1,1,1,16] (squeeze-excite): H and W merge, C stays.
        let out = [1, 7, 7, 16];
        let (sh, st) = merge_walk(&out, &[strides(&out), broadcast_strides(&[1, 1, 1, 16], &out)]);
        assert_eq!((sh, st), (vec![49, 16], vec![vec![16, 1], vec![0, 1]]));
        // [2,3] + [3,1,1]: the last two dims merge (a walks them contiguously, b not at all).
        let out = [3, 2, 3];
        let (sh, st) = merge_walk(&out, &[broadcast_strides(&[2, 3], &out), broadcast_strides(&[3, 1, 1], &out)]);
        assert_eq!((sh, st), (vec![3, 6], vec![vec![0, 1], vec![1, 0]]));
        // [2,1] + [1,3]: broadcast both ways, nothing merges.
        let out = [2, 3];
        let (sh, st) = merge_walk(&out, &[broadcast_strides(&[2, 1], &out), broadcast_strides(&[1, 3], &out)]);
        assert_eq!((sh, st), (vec![2, 3], vec![vec![1, 0], vec![0, 1]]));
        // Scalars: one dim.
        assert_eq!(merge_walk(&[1, 1], &[vec![0, 0]]), (vec![1], vec![vec![0]]));
    }

    #[test]
    fn simplify_merges_contiguous_dims() {
        assert_eq!(simplify(&[2, 3, 4], &[12, 4, 1]), (vec![24], vec![1]));
        assert_eq!(simplify(&[2, 3], &[1, 2]), (vec![2, 3], vec![1, 2]));
        assert_eq!(simplify(&[1, 1], &[5, 5]), (vec![1], vec![0]));
    }
}

/// Host data gathered by index (folding data-movement ops).
pub fn gather_data(d: &Data, idx: impl Iterator<Item = usize>) -> Data {
    match d {
        Data::F32(v) => Data::F32(idx.map(|i| v[i]).collect()),
        Data::F64(v) => Data::F64(idx.map(|i| v[i]).collect()),
        Data::I32(v) => Data::I32(idx.map(|i| v[i]).collect()),
        Data::I64(v) => Data::I64(idx.map(|i| v[i]).collect()),
        Data::Bool(v) => Data::Bool(idx.map(|i| v[i]).collect()),
        Data::Str(v) => Data::Str(idx.map(|i| v[i].clone()).collect()),
    }
}

/// Linear input indices of a strided view: for each output coordinate (row-major over
/// `shape`), `base + Σ coord_d · stride_d`.
pub fn strided_indices(shape: &[usize], st: &[i64], base: i64) -> Vec<usize> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0usize; shape.len()];
    for _ in 0..n {
        let off: i64 = base + idx.iter().zip(st).map(|(&i, &s)| i as i64 * s).sum::<i64>();
        out.push(off as usize);
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// Concatenates host tensors of one dtype along `axis`.
pub fn concat_host(ts: &[&Tensor], axis: usize) -> Result<Tensor> {
    let first = ts[0];
    let mut shape = first.shape().to_vec();
    shape[axis] = ts.iter().map(|t| t.shape()[axis]).sum();
    let outer: usize = shape[..axis].iter().product();
    // For each outer index, append each input's block.
    let mut order: Vec<(usize, usize)> = Vec::new(); // (tensor, element)
    for o in 0..outer {
        for (k, t) in ts.iter().enumerate() {
            let block: usize = t.shape()[axis..].iter().product();
            for e in 0..block {
                order.push((k, o * block + e));
            }
        }
    }
    // Gather per tensor into one buffer.
    let all: Vec<Data> = ts.iter().map(|t| t.data().clone()).collect();
    let mut flat = crate::tensor::Data::empty(first.dtype().host_class());
    macro_rules! cat {
        ($var:ident) => {{
            let mut v = Vec::with_capacity(order.len());
            for &(k, e) in &order {
                if let Data::$var(src) = &all[k] {
                    v.push(src[e].clone());
                }
            }
            Data::$var(v)
        }};
    }
    flat = match flat {
        Data::F32(_) => cat!(F32),
        Data::F64(_) => cat!(F64),
        Data::I32(_) => cat!(I32),
        Data::I64(_) => cat!(I64),
        Data::Bool(_) => cat!(Bool),
        Data::Str(_) => cat!(Str),
    };
    Tensor::new(first.dtype(), shape, flat)
}
