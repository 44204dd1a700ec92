//! Softmax and LogSoftmax over the last axis (one workgroup per row, max-subtracted).
use crate::error::Result;
use crate::graph::Node;
use crate::lower::{fold_groups, Binding, Lower, Meta, Operand, ShaderVariant};
use crate::ops::{Op, TensorInfo};
use crate::shaders;

pub struct Softmax {
    pub log: bool,
}

impl Op for Softmax {
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        let x = &ins[0];
        if !x.dtype.is_float() || x.shape.is_empty() {
            return Err(node.err("expects a float tensor of rank ≥ 1"));
        }
        Ok(vec![TensorInfo::new(x.dtype, x.shape.clone())])
    }
    fn lower(&self, _node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let x = &ins[0];
        let cols = *x.shape.last().unwrap_or(&1);
        let rows = if cols == 0 { 0 } else { x.elements() / cols };
        let meta = Meta::new().n(rows).n(cols).u(0).u(0);
        let v = cx.target().group_reduce(ShaderVariant::new(&shaders::SOFTMAX).set("LOG", self.log as i64), crate::lower::Storage::F32);
        cx.kernel(v, fold_groups(rows), meta, vec![Binding::In(x.id), Binding::Out(outs[0].id)]);
        Ok(())
    }
}
