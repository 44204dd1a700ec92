//! _FusedMatMul (grappler): MatMul (transpose_a / transpose_b) followed by the `fused_ops`
//! epilogue (BiasAdd, optional residual Add, activation incl. GeluExact / GeluApproximate;
//! see `nn/fused.rs`), lowered to one GEMM kernel.
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::linalg::gemm::{Epilogue, Gemm};
use crate::ops::linalg::matmul::{dims, MatMul};
use crate::ops::nn::fused::{prepare, Fusion};
use crate::ops::{Op, TensorInfo};

/// _FusedMatMul, its transposes and `fused_ops` decoded when the model is loaded.
pub struct FusedMatMul {
    pub matmul: MatMul,
    pub fusion: Fusion,
}

impl FusedMatMul {
    pub fn build(node: &Node) -> Result<FusedMatMul> {
        Ok(FusedMatMul { fusion: Fusion::parse(node)?, matmul: MatMul::build(node)? })
    }
}

impl Op for FusedMatMul {
    fn f16(&self) -> bool {
        true
    }
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        self.fusion.is_host(i)
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let t = (self.matmul.ta, self.matmul.tb);
        let (m, n, _, _, _) = dims(node, t, &ins[0].shape, &ins[1].shape)?;
        self.fusion.check(node, ins, n, &[m, n])?;
        Ok(vec![TensorInfo::new(ins[0].dtype, vec![m, n])])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let f = self.fusion;
        let (m, n, k, ta, tb) = dims(node, (self.matmul.ta, self.matmul.tb), &ins[0].shape, &ins[1].shape)?;
        let s_shape = if tb { vec![n, 1] } else { vec![n] };
        let (w, bias) = prepare(&f, cx, node, ins, s_shape, n)?;
        let res = f.residual_input().map(|r| ins[r].clone());
        let ep = Epilogue { bias: bias.as_ref(), residual: res.as_ref(), act: f.act, alpha: f.alpha };
        Gemm::matrix(m, n, k, ta, tb).emit_with(cx, node, &ins[0], &w, &ep, &outs[0])
    }
}
