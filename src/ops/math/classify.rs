//! The shared form of IsNan, IsInf and IsFinite: float in, bool out, decided from the bits.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::codes::ClassifyOp;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant};
use crate::kernel::meta::{w, CountMeta};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{DType, Tensor};

/// A float classification: the `OP` code of `classify.wgsl` and the CPU predicate.
#[derive(Clone, Copy)]
pub struct Classify {
    pub code: ClassifyOp,
    pub f: fn(f64) -> bool,
}

impl Op for Classify {
    fn fold(&self, _node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let v = ins[0].to_f64_vec().ok()?;
        Some(Tensor::from_bool(ins[0].shape().to_vec(), v.into_iter().map(self.f).collect()).map(|t| vec![Arc::new(t)]))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        if !ins[0].dtype.is_float() {
            return Err(node.err(format!("takes float inputs, got {}", ins[0].dtype)));
        }
        Ok(vec![TensorInfo::new(DType::Bool, ins[0].shape.clone())])
    }
    fn lower(&self, _node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let n = ins[0].elements();
        let v = ShaderVariant::new(&shaders::CLASSIFY).set("OP", self.code.code() as i64);
        cx.kernel(v, grid(n, 256), Meta::from(CountMeta { n: w(n), ..Default::default() }), vec![Binding::In(ins[0].id), Binding::Out(outs[0].id)]);
        Ok(())
    }
}
