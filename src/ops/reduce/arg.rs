//! The shared form of ArgMax and ArgMin: the index of the largest (smallest) element along one
//! axis, lowest index on ties; int64 (default) or int32 output. One workgroup per output (and
//! part of a long axis), or one invocation per output of a short axis.
use std::sync::Arc;

use crate::kernel::codes::ArgOp;
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{spread_groups, grid, Binding, Lower, Meta, Operand, ShaderVariant};
use crate::kernel::meta::{w, ArgMeta};
use crate::ops::util::{host, ints, norm_axis, tensor_from_i64};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{DType, Tensor};

/// `min`: ArgMin; else ArgMax. `out`: the index dtype (`output_type`, decoded when the model
/// is loaded, [`ArgReduce::build`]).
#[derive(Clone, Copy)]
pub struct ArgReduce {
    pub min: bool,
    pub out: DType,
}

/// (axis, [outer, len, inner], output shape).
pub fn arg_plan(node: &Node, shape: &[usize], axis: &Tensor) -> Result<(usize, [usize; 3], Vec<usize>)> {
    let a = ints(node, axis)?;
    let &[a] = a.as_slice() else { return Err(node.err("dimension must be a scalar")) };
    if shape.is_empty() {
        return Err(node.err("input must have rank >= 1"));
    }
    let a = norm_axis(node, a, shape.len())?;
    if shape[a] == 0 {
        return Err(node.err("reduction over an empty dimension"));
    }
    let mut out = shape.to_vec();
    out.remove(a);
    Ok((a, [shape[..a].iter().product(), shape[a], shape[a + 1..].iter().product()], out))
}

fn out_type(node: &Node) -> Result<DType> {
    let t = node.attr_opt_dtype("output_type")?.unwrap_or(DType::I64);
    if !matches!(t, DType::I32 | DType::I64 | DType::I16 | DType::U16) {
        return Err(node.err(format!("output_type {t} is not supported")));
    }
    Ok(t)
}

impl ArgReduce {
    /// This op for one node, its `output_type` decoded.
    pub fn build(self, node: &Node) -> Result<ArgReduce> {
        Ok(ArgReduce { out: out_type(node)?, ..self })
    }
    /// The winning index along a line of values.
    pub fn pick(&self, v: impl Iterator<Item = f64>) -> usize {
        let mut best: Option<(f64, usize)> = None;
        for (i, x) in v.enumerate() {
            let better = match best {
                None => true,
                Some((b, _)) => if self.min { x < b } else { x > b },
            };
            if better {
                best = Some((x, i));
            }
        }
        best.map_or(0, |b| b.1)
    }
}

impl Op for ArgReduce {
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i == 1
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        if ins[0].len() > 1 << 20 {
            return None;
        }
        Some((|| {
            let (_, [outer, len, inner], out) = arg_plan(node, ins[0].shape(), &ins[1])?;
            let v = ins[0].to_f64_vec()?;
            let mut r = Vec::with_capacity(outer * inner);
            for o in 0..outer {
                for i in 0..inner {
                    r.push(self.pick((0..len).map(|k| v[(o * len + k) * inner + i])) as i64);
                }
            }
            Ok(vec![Arc::new(tensor_from_i64(self.out, out, r)?)])
        })())
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        if !ins[0].dtype.is_numeric() {
            return Err(node.err(format!("does not take {} inputs", ins[0].dtype)));
        }
        let (_, _, out) = arg_plan(node, &ins[0].shape, host(node, ins, 1)?)?;
        Ok(vec![TensorInfo::new(self.out, out)])
    }
    fn int64(&self) -> bool {
        true
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let axis = ins[1].value.as_ref().ok_or_else(|| node.needs_values([1], "dimension must be constant"))?;
        let (_, [outer, len, inner], _) = arg_plan(node, &ins[0].shape, axis)?;
        let n_out = outer * inner;
        let v = ShaderVariant::new(&shaders::ARG).ty("T", ins[0].storage().wgsl()).ty("O", outs[0].storage().wgsl()).set("OP", if self.min { ArgOp::Min } else { ArgOp::Max });
        // A workgroup takes up to 65,536 elements of an axis (256 per invocation); longer axes
        // go in parts of 16,384, whose winners a second pass compares.
        let chunk = if len <= 256 * 256 { len.max(1) } else { 64 * 256 };
        let parts = len.div_ceil(chunk).max(1);
        let meta = Meta::from(ArgMeta { n_out: w(n_out), len: w(len), inner: w(inner), parts: w(parts), chunk: w(chunk), ..Default::default() });
        let (x, y) = (ins[0].id, outs[0].id);
        if len <= 256 && n_out >= 64 {
            // Short axes over many outputs: one invocation per output.
            cx.kernel(v.entry("serial"), grid(n_out, 64), meta, vec![Binding::In(x), Binding::Out(y)]);
        } else if parts == 1 {
            cx.kernel(v, spread_groups(n_out), meta, vec![Binding::In(x), Binding::Out(y)]);
        } else {
            let winners = cx.temp(outs[0].dtype, vec![n_out * parts]);
            cx.kernel(v.clone(), spread_groups(n_out * parts), meta.clone(), vec![Binding::In(x), Binding::Out(winners)]);
            cx.kernel(v.entry("merge"), spread_groups(n_out), meta, vec![Binding::In(x), Binding::Out(y), Binding::In(winners)]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_pick_the_first() {
        assert_eq!(ArgReduce { min: false, out: DType::I64 }.pick([1.0, 3.0, 3.0, 2.0].into_iter()), 1);
        assert_eq!(ArgReduce { min: true, out: DType::I64 }.pick([1.0, 0.0, 3.0, 0.0].into_iter()), 1);
        let n = Node { name: "a".into(), op: "ArgMax".into(), inputs: vec![], controls: vec![], attrs: Default::default(), device: String::new() };
        let ax = Tensor::from_i32(vec![], vec![-2]).unwrap();
        assert_eq!(arg_plan(&n, &[2, 3, 4], &ax).unwrap(), (1, [2, 3, 4], vec![2, 4]));
    }
}
