//! BiasAdd (and BiasAddV1): adds a 1-D bias along the channel axis (last, or axis 1 for NCHW).
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand, ShaderVariant, Storage};
use crate::ops::nn::window::is_nchw;
use crate::ops::util::binary_kernel;
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::Tensor;

/// BiasAdd, its data format decoded when the model is loaded.
pub struct BiasAdd {
    pub nchw: bool,
}

impl BiasAdd {
    pub fn build(node: &Node) -> Result<BiasAdd> {
        Ok(BiasAdd { nchw: is_nchw(node)? })
    }
}

/// The bias seen with a shape that broadcasts onto the value (channels on axis 1 for `nchw`,
/// else last).
fn bias_shape(node: &Node, nchw: bool, x: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    if b.len() != 1 || x.len() < 2 {
        return Err(node.err(format!("bias must be 1-D and the value at least 2-D, got {b:?} and {x:?}")));
    }
    let axis = if nchw { 1 } else { x.len() - 1 };
    if x[axis] != b[0] {
        return Err(node.err(format!("bias of {} values for {} channels", b[0], x[axis])));
    }
    let mut s = vec![1; x.len() - axis];
    s[0] = b[0];
    Ok(s)
}

impl Op for BiasAdd {
    fn f16(&self) -> bool {
        true
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        bias_shape(node, self.nchw, &ins[0].shape, &ins[1].shape)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, ins[0].shape.clone())])
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let s = bias_shape(node, self.nchw, ins[0].shape(), ins[1].shape()).ok()?;
        let b = Arc::new((*ins[1]).clone().reshape(s).ok()?);
        crate::ops::math::elementwise::ADD.fold(node, &[ins[0].clone(), b])
    }
    fn int64(&self) -> bool {
        true
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let b = Operand { shape: bias_shape(node, self.nchw, &ins[0].shape, &ins[1].shape)?, ..ins[1].clone() };
        let v = match ins[0].storage() {
            Storage::F32 | Storage::F16 => ShaderVariant::new(&shaders::BINARY_FLOAT),
            s => ShaderVariant::new(&shaders::BINARY_INT).ty("T", s.wgsl()),
        };
        binary_kernel(cx, node, v.set("OP", crate::kernel::codes::BinaryOp::Add.code() as i64), &ins[0], &b, &outs[0])
    }
}
