//! OneHot(indices, depth, on_value, off_value) with `axis`: depth, on and off are known when
//! planning; the output, seen as [outer, depth, inner], is one kernel.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant, Storage};
use crate::kernel::meta::{w, OneHotMeta};
use crate::ops::util::{gather_data, host, ints, norm_axis};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{Data, Tensor};

/// OneHot, its `axis` decoded when the model is loaded.
pub struct OneHot {
    axis: i64,
}

impl OneHot {
    pub fn build(node: &Node) -> Result<OneHot> {
        Ok(OneHot { axis: node.attr_opt_int("axis")?.unwrap_or(-1) })
    }
}

/// (output shape, outer, depth, inner).
pub fn one_hot_plan(node: &Node, axis: i64, indices: &[usize], depth: &Tensor) -> Result<(Vec<usize>, usize, usize, usize)> {
    let d = ints(node, depth)?;
    let &[d] = d.as_slice() else { return Err(node.err("depth must be a scalar")) };
    let d = usize::try_from(d).map_err(|_| node.err(format!("depth {d} is negative")))?;
    let a = if axis == -1 { indices.len() } else { norm_axis(node, axis, indices.len() + 1)? };
    let mut out = indices.to_vec();
    out.insert(a, d);
    Ok((out, indices[..a].iter().product(), d, indices[a..].iter().product()))
}

fn word(node: &Node, t: &Tensor, storage: Storage) -> Result<u32> {
    if t.len() != 1 {
        return Err(node.err("on_value and off_value must be scalars"));
    }
    Ok(match storage {
        Storage::F32 | Storage::F16 => t.to_f32_vec()?[0].to_bits(),
        Storage::I32 | Storage::I64 => t.to_i64_vec()?[0] as i32 as u32,
    })
}

impl Op for OneHot {
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i >= 1
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        if ins[0].len() > 1 << 16 {
            return None;
        }
        Some((|| {
            let (out, outer, depth, inner) = one_hot_plan(node, self.axis, ins[0].shape(), &ins[1])?;
            let idx = ints(node, &ins[0])?;
            let (on, off) = (&ins[2], &ins[3]);
            if on.len() != 1 || off.len() != 1 {
                return Err(node.err("on_value and off_value must be scalars"));
            }
            let both = crate::ops::math::select::concat_data(on.data(), off.data()).ok_or_else(|| node.err("on and off values differ in type"))?;
            let mut src = Vec::with_capacity(outer * depth * inner);
            for o in 0..outer {
                for d in 0..depth {
                    for i in 0..inner {
                        src.push(if idx[o * inner + i] == d as i64 { 0 } else { 1 });
                    }
                }
            }
            let data: Data = gather_data(&both, src.into_iter());
            Ok(vec![Arc::new(Tensor::new(on.dtype(), out, data)?)])
        })())
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 4)?;
        if !ins[0].dtype.is_int() {
            return Err(node.err(format!("indices must be integers, got {}", ins[0].dtype)));
        }
        if ins[2].dtype != ins[3].dtype {
            return Err(node.err("on_value and off_value must have the same type"));
        }
        let (out, ..) = one_hot_plan(node, self.axis, &ins[0].shape, host(node, ins, 1)?)?;
        Ok(vec![TensorInfo::new(ins[2].dtype, out)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let known = |i: usize| ins[i].value.clone().ok_or_else(|| node.needs_values([i], "depth, on_value and off_value must be constant"));
        let (d, on_t, off_t) = (known(1)?, known(2)?, known(3)?);
        let (_, _, depth, inner) = one_hot_plan(node, self.axis, &ins[0].shape, &d)?;
        let s = outs[0].storage();
        let (on, off) = (word(node, &on_t, s)?, word(node, &off_t, s)?);
        let count = outs[0].elements();
        let meta = Meta::from(OneHotMeta { count: w(count), depth: w(depth), inner: w(inner), on, off, ..Default::default() });
        cx.kernel(ShaderVariant::new(&shaders::ONE_HOT), grid(count, 256), meta, vec![Binding::In(ins[0].id), Binding::Out(outs[0].id)]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_placement() {
        let n = Node { name: "o".into(), op: "OneHot".into(), inputs: vec![], controls: vec![], attrs: Default::default(), device: String::new() };
        let d = Tensor::from_i32(vec![], vec![4]).unwrap();
        assert_eq!(one_hot_plan(&n, -1, &[5], &d).unwrap(), (vec![5, 4], 5, 4, 1));
        assert_eq!(one_hot_plan(&n, -1, &[2, 3], &d).unwrap(), (vec![2, 3, 4], 6, 4, 1));
    }
}
