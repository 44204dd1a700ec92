//! The shared form of Cumsum and Cumprod along one axis, with `exclusive` and `reverse`: one
//! invocation per line walks the axis in order; long axes in blocks (each block's scan, the
//! scan of the blocks' totals, and their sum).
use std::sync::Arc;

use crate::kernel::codes::ScanOp;
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant, LOOP_BUDGET};
use crate::kernel::meta::{w, ScanMeta};
use crate::ops::util::{host, ints, norm_axis, tensor_from_f64, tensor_from_i64};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{Data, Tensor};

/// `prod`: Cumprod; else Cumsum. `exclusive` and `reverse` are decoded when the model is
/// loaded ([`Scan::build`]).
#[derive(Clone, Copy)]
pub struct Scan {
    pub prod: bool,
    pub exclusive: bool,
    pub reverse: bool,
}

impl Scan {
    /// This scan for one node, its `exclusive` and `reverse` decoded.
    pub fn build(self, node: &Node) -> Result<Scan> {
        let (exclusive, reverse) = flags(node)?;
        Ok(Scan { exclusive, reverse, ..self })
    }
}

/// [outer, len, inner] around the axis.
fn plan(node: &Node, shape: &[usize], axis: &Tensor) -> Result<[usize; 3]> {
    let a = ints(node, axis)?;
    let &[a] = a.as_slice() else { return Err(node.err("axis must be a scalar")) };
    if shape.is_empty() {
        return Err(node.err("input must have rank >= 1"));
    }
    let a = norm_axis(node, a, shape.len())?;
    Ok([shape[..a].iter().product(), shape[a], shape[a + 1..].iter().product()])
}

fn flags(node: &Node) -> Result<(bool, bool)> {
    Ok((node.attr_bool_or("exclusive", false)?, node.attr_bool_or("reverse", false)?))
}

/// Scans `v` seen as [outer, len, inner] (host folding).
pub fn scan_host<T: Copy>(v: &[T], [outer, len, inner]: [usize; 3], exclusive: bool, reverse: bool, id: T, f: impl Fn(T, T) -> T) -> Vec<T> {
    let mut out = v.to_vec();
    for o in 0..outer {
        for i in 0..inner {
            let mut acc = id;
            for s in 0..len {
                let r = if reverse { len - 1 - s } else { s };
                let p = (o * len + r) * inner + i;
                let x = v[p];
                if exclusive {
                    out[p] = acc;
                }
                acc = f(acc, x);
                if !exclusive {
                    out[p] = acc;
                }
            }
        }
    }
    out
}

impl Op for Scan {
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i == 1
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let x = &ins[0];
        if x.len() > 1 << 20 {
            return None;
        }
        Some((|| {
            let p = plan(node, x.shape(), &ins[1])?;
            let (ex, rev) = (self.exclusive, self.reverse);
            let t = match x.data() {
                Data::F32(v) => {
                    let r = if self.prod { scan_host(v, p, ex, rev, 1.0, |a, b| a * b) } else { scan_host(v, p, ex, rev, 0.0, |a, b| a + b) };
                    Tensor::new(x.dtype(), x.shape().to_vec(), Data::F32(r))?
                }
                Data::F64(v) => {
                    let r = if self.prod { scan_host(v, p, ex, rev, 1.0, |a, b| a * b) } else { scan_host(v, p, ex, rev, 0.0, |a, b| a + b) };
                    tensor_from_f64(x.dtype(), x.shape().to_vec(), r)?
                }
                _ => {
                    let v = x.to_i64_vec()?;
                    let r = if self.prod { scan_host(&v, p, ex, rev, 1, i64::wrapping_mul) } else { scan_host(&v, p, ex, rev, 0, i64::wrapping_add) };
                    tensor_from_i64(x.dtype(), x.shape().to_vec(), r.into_iter().map(|a| crate::tensor::wrap_int(a, x.dtype())).collect())?
                }
            };
            Ok(vec![Arc::new(t)])
        })())
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        if !ins[0].dtype.is_float() && !ins[0].dtype.is_int() {
            return Err(node.err(format!("does not take {} inputs", ins[0].dtype)));
        }
        plan(node, &ins[0].shape, host(node, ins, 1)?)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, ins[0].shape.clone())])
    }
    fn int64(&self) -> bool {
        true
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let axis = ins[1].value.as_ref().ok_or_else(|| node.needs_values([1], "axis must be constant"))?;
        let [outer, len, inner] = plan(node, &ins[0].shape, axis)?;
        let (ex, rev) = (self.exclusive, self.reverse);
        let lines = outer * inner;
        let v = ShaderVariant::new(&shaders::SCAN).ty("T", ins[0].storage().wgsl()).set("OP", if self.prod { ScanOp::Prod } else { ScanOp::Sum });
        let flags = ex as u32 | (rev as u32) << 1;
        let (x, y) = (ins[0].id, outs[0].id);
        if len <= 4096 {
            let meta = Meta::from(ScanMeta { lines: w(lines), len: w(len), inner: w(inner), flags, block: w(len), nblocks: 1, ..Default::default() });
            cx.kernel(v, grid(lines, 256), meta, vec![Binding::In(x), Binding::Out(y)]);
            return Ok(());
        }
        // Longer lines (and fewer of them) in blocks, each within the loop budget, as are the
        // blocks of a line that `carry` walks.
        let block = 1024.max(len.div_ceil(LOOP_BUDGET));
        if block > LOOP_BUDGET {
            return Err(node.err(format!("an axis of {len} elements is too long to scan")));
        }
        let nblocks = len.div_ceil(block);
        let meta = Meta::from(ScanMeta { lines: w(lines), len: w(len), inner: w(inner), flags, block: w(block), nblocks: w(nblocks), ..Default::default() });
        let totals = cx.temp(ins[0].dtype, vec![lines * nblocks]);
        let carries = cx.temp(ins[0].dtype, vec![lines * nblocks]);
        cx.kernel(v.clone().entry("blocks"), grid(lines * nblocks, 256), meta.clone(), vec![Binding::In(x), Binding::Out(y), Binding::Out(totals)]);
        cx.kernel(v.clone().entry("carry"), grid(lines, 256), meta.clone(), vec![Binding::In(totals), Binding::Out(carries)]);
        cx.kernel(v.entry("add"), grid(lines * len, 256), meta, vec![Binding::In(carries), Binding::Out(y)]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_and_reverse() {
        let v = [1, 2, 3, 4];
        let add = |a: i32, b: i32| a + b;
        assert_eq!(scan_host(&v, [1, 4, 1], false, false, 0, add), vec![1, 3, 6, 10]);
        assert_eq!(scan_host(&v, [1, 4, 1], true, false, 0, add), vec![0, 1, 3, 6]);
        assert_eq!(scan_host(&v, [1, 4, 1], false, true, 0, add), vec![10, 9, 7, 4]);
        assert_eq!(scan_host(&v, [1, 4, 1], true, true, 0, add), vec![9, 7, 4, 0]);
        // Two columns scanned down the rows.
        assert_eq!(scan_host(&v, [1, 2, 2], false, false, 0, add), vec![1, 2, 4, 6]);
    }
}
