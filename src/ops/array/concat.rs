//! ConcatV2 (values..., axis) and Concat (axis, values...): one copy kernel per input.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::util::{concat_host, copy_into, ints, norm_axis, strides};
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

/// `axis_first`: Concat (axis is input 0); else ConcatV2 (axis is the last input).
pub struct Concat {
    pub axis_first: bool,
}

impl Concat {
    fn axis_index(&self, n: usize) -> usize {
        if self.axis_first { 0 } else { n - 1 }
    }
    fn values<'a, T>(&self, ins: &'a [T]) -> &'a [T] {
        if self.axis_first { &ins[1..] } else { &ins[..ins.len() - 1] }
    }
    fn axis(&self, node: &Node, axis: &Tensor, rank: usize) -> Result<usize> {
        let a = ints(node, axis)?;
        let &[a] = a.as_slice() else { return Err(node.err("axis must be a scalar")) };
        norm_axis(node, a, rank)
    }
}

impl Op for Concat {
    fn f16(&self) -> bool {
        true
    }
    fn int64(&self) -> bool {
        true
    }
    fn is_host_input(&self, node: &Node, i: usize) -> bool {
        i == self.axis_index(node.inputs.len())
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let vals: Vec<&Tensor> = self.values(ins).iter().map(|t| t.as_ref()).collect();
        if vals.is_empty() {
            return None;
        }
        let r = self.axis(node, &ins[self.axis_index(ins.len())], vals[0].rank());
        Some(r.and_then(|a| {
            let infos: Vec<TensorInfo> = ins.iter().map(|t| TensorInfo::known(t.clone())).collect();
            self.infer(node, &infos)?;
            Ok(vec![Arc::new(concat_host(&vals, a)?)])
        }))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let vals = self.values(ins);
        let a = self.axis_index(ins.len());
        let axis_t = ins[a].value.as_ref().ok_or_else(|| node.needs_values([a], "axis must be constant"))?;
        let a = self.axis(node, axis_t, vals[0].shape.len())?;
        if a >= vals[0].shape.len() {
            return Err(node.err(format!("cannot concatenate tensors of shape {:?} on axis {a}", vals[0].shape)));
        }
        let mut shape = vals[0].shape.clone();
        shape[a] = 0;
        for v in vals {
            if v.dtype != vals[0].dtype || v.shape.len() != shape.len()
                || v.shape.iter().enumerate().any(|(d, &s)| d != a && s != shape[d])
            {
                return Err(node.err(format!("cannot concatenate {:?} and {:?} on axis {a}", vals[0].shape, v.shape)));
            }
            shape[a] += v.shape[a];
        }
        Ok(vec![TensorInfo::new(vals[0].dtype, shape)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let out = &outs[0];
        let a = self.axis_index(ins.len());
        let axis_t = ins[a].value.clone().ok_or_else(|| node.needs_values([a], "axis must be constant"))?;
        let a = self.axis(node, &axis_t, out.rank())?;
        let ost = strides(&out.shape);
        let mut offset = 0;
        for v in self.values(ins) {
            copy_into(cx, node, v, out, offset * ost[a], &ost)?;
            offset += v.shape[a];
        }
        Ok(())
    }
}
