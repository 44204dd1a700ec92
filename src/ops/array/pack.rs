//! Pack (tf.stack): N tensors of one shape stacked along a new axis.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::util::{concat_host, copy_into, norm_axis, strides};
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

/// Pack, its `axis` decoded when the model is loaded.
pub struct Pack {
    axis: i64,
}

impl Pack {
    pub fn build(node: &Node) -> Result<Pack> {
        Ok(Pack { axis: node.attr_opt_int("axis")?.unwrap_or(0) })
    }
    fn axis(&self, node: &Node, rank: usize) -> Result<usize> {
        norm_axis(node, self.axis, rank + 1)
    }
}

impl Op for Pack {
    fn f16(&self) -> bool {
        true
    }
    fn int64(&self) -> bool {
        true
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        Some((|| {
            let a = self.axis(node, ins[0].rank())?;
            let expanded: Vec<Tensor> = ins
                .iter()
                .map(|t| {
                    let mut s = t.shape().to_vec();
                    s.insert(a, 1);
                    (**t).clone().reshape(s)
                })
                .collect::<Result<_>>()?;
            let refs: Vec<&Tensor> = expanded.iter().collect();
            Ok(vec![Arc::new(concat_host(&refs, a)?)])
        })())
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        if ins.iter().any(|i| i.shape != ins[0].shape || i.dtype != ins[0].dtype) {
            return Err(node.err("all values must have the same dtype and shape"));
        }
        let a = self.axis(node, ins[0].shape.len())?;
        let mut s = ins[0].shape.clone();
        s.insert(a, ins.len());
        Ok(vec![TensorInfo::new(ins[0].dtype, s)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let a = self.axis(node, ins[0].rank())?;
        let out = &outs[0];
        let ost = strides(&out.shape);
        // Each input's coords skip the new axis.
        let st: Vec<usize> = ost.iter().enumerate().filter(|(d, _)| *d != a).map(|(_, &s)| s).collect();
        for (k, v) in ins.iter().enumerate() {
            copy_into(cx, node, v, out, k * ost[a], &st)?;
        }
        Ok(())
    }
}
