//! The shared form of unary elementwise ops: each row of `elementwise.rs` (and of
//! `ops/nn/activation.rs`) names its kernel code and its CPU function; this file infers, folds
//! and lowers them all the same way.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::codes::UnaryOp;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant};
use crate::kernel::meta::{w, UnaryIntMeta, UnaryMeta};
use crate::ops::util::tensor_from_f64;
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{Data, Tensor};

/// Per-node parameters of a unary op (e.g. LeakyRelu's alpha), decoded from its attributes
/// when the model is loaded.
pub type Params = fn(&Node) -> Result<[f32; 2]>;

pub fn no_params(_: &Node) -> Result<[f32; 2]> {
    Ok([0.0, 0.0])
}

/// A unary elementwise op.
#[derive(Clone, Copy)]
pub struct Unary {
    /// The `OP` code in `unary_float.wgsl` / `unary_int.wgsl`.
    pub code: UnaryOp,
    /// The function on floats (for folding), with the op's parameters.
    pub float: fn(f64, [f32; 2]) -> f64,
    /// The function on integers, if the op takes them.
    pub int: Option<fn(i64) -> i64>,
    pub params: Params,
}

impl Unary {
    pub const fn float(code: UnaryOp, float: fn(f64, [f32; 2]) -> f64) -> Unary {
        Unary { code, float, int: None, params: no_params }
    }
    /// The op of one node: this row with the node's parameters.
    pub fn build(self, node: &Node) -> Result<UnaryNode> {
        Ok(UnaryNode { op: self, p: (self.params)(node)? })
    }
    /// Registers the row (built per node: see [`Unary::build`]).
    pub fn register(self, r: &mut crate::ops::Registry, family: &'static str, name: &'static str) {
        r.add_built(family, name, move |n| self.build(n));
    }
}

/// A unary op of one node: its row and parameters.
pub struct UnaryNode {
    pub op: Unary,
    pub p: [f32; 2],
}

impl Op for UnaryNode {
    fn f16(&self) -> bool {
        true
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        let x = &ins[0];
        if !x.dtype.is_float() && self.op.int.is_none() {
            return Err(node.err(format!("does not take {} inputs", x.dtype)));
        }
        Ok(vec![TensorInfo::new(x.dtype, x.shape.clone())])
    }

    fn fold(&self, _node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let x = &ins[0];
        let p = self.p;
        let r = match (x.data(), self.op.int) {
            (Data::F32(_) | Data::F64(_), _) => x
                .to_f64_vec()
                .and_then(|v| tensor_from_f64(x.dtype(), x.shape().to_vec(), v.into_iter().map(|a| (self.op.float)(a, p)).collect())),
            (Data::I32(_) | Data::I64(_), Some(f)) => x.to_i64_vec().and_then(|v| {
                crate::ops::util::tensor_from_i64(x.dtype(), x.shape().to_vec(), v.into_iter().map(f).collect())
            }),
            _ => return None,
        };
        Some(r.map(|t| vec![Arc::new(t)]))
    }

    fn int64(&self) -> bool {
        true
    }
    fn lower(&self, _node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let [a, b] = self.p;
        let x = &ins[0];
        let float = x.storage().is_float();
        let v = if float { ShaderVariant::new(&shaders::UNARY_FLOAT) } else { ShaderVariant::new(&shaders::UNARY_INT).ty("T", x.storage().wgsl()) };
        let v = v.set("OP", self.op.code.code() as i64);
        crate::ops::util::dense_chunks(cx, &[x], &outs[0], |cx, ins, out, n| {
            let meta: Meta = if float { UnaryMeta { n: w(n), alpha: a, beta: b, _pad: 0 }.into() } else { UnaryIntMeta { n: w(n), alpha: a as i32, beta: b as i32, _pad: 0 }.into() };
            cx.kernel(v.clone(), grid(n, 256), meta, vec![Binding::In(ins[0].id), Binding::Out(out.id)]);
        });
        Ok(())
    }
}
