//! AddN: the sum of N tensors of one shape.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand, ShaderVariant, Storage};
use crate::ops::util::binary_kernel;
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::Tensor;

pub struct AddN;

impl Op for AddN {
    fn f16(&self) -> bool {
        true
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        if ins.iter().any(|i| i.shape != ins[0].shape || i.dtype != ins[0].dtype) {
            return Err(node.err("inputs must all have the same dtype and shape"));
        }
        Ok(vec![TensorInfo::new(ins[0].dtype, ins[0].shape.clone())])
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let add = super::elementwise::ADD;
        let mut acc = ins[0].clone();
        for t in &ins[1..] {
            match add.fold(node, &[acc, t.clone()])? {
                Ok(mut v) => acc = v.remove(0),
                Err(e) => return Some(Err(e)),
            }
        }
        Some(Ok(vec![acc]))
    }
    fn int64(&self) -> bool {
        true
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let v = match ins[0].storage() {
            Storage::F32 | Storage::F16 => ShaderVariant::new(&shaders::BINARY_FLOAT),
            s => ShaderVariant::new(&shaders::BINARY_INT).ty("T", s.wgsl()),
        };
        let v = v.set("OP", crate::kernel::codes::BinaryOp::Add.code() as i64);
        if ins.len() == 1 {
            return crate::ops::util::strided_copy(cx, node, &ins[0], &outs[0], 0, &crate::ops::util::strides(&ins[0].shape).iter().map(|&s| s as i64).collect::<Vec<_>>());
        }
        // Accumulate into the output: out = a0 + a1, then out += ai through temps.
        let mut acc = ins[0].clone();
        for (k, b) in ins[1..].iter().enumerate() {
            let last = k + 2 == ins.len();
            let dst = if last {
                outs[0].clone()
            } else {
                let id = cx.temp(ins[0].dtype, ins[0].shape.clone());
                Operand { id, ..ins[0].clone() }
            };
            binary_kernel(cx, node, v.clone(), &acc, b, &dst)?;
            acc = dst;
        }
        Ok(())
    }
}
