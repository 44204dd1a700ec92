//! _FusedMatMul (grappler): MatMul (transpose_a / transpose_b) followed by the `fused_ops`
//! epilogue (BiasAdd, optional residual Add, activation incl. GeluExact / GeluApproximate;
//! see `nn/fused.rs`), lowered to one GEMM kernel.
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::linalg::gemm::{Epilogue, Gemm};
use crate::ops::linalg::matmul::dims;
use crate::ops::nn::fused::{prepare, Fusion};
use crate::ops::{Op, TensorInfo};

pub struct FusedMatMul;

impl Op for FusedMatMul {
    fn f16(&self) -> bool {
        true
    }
    fn check(&self, node: &Node) -> Result<()> {
        Fusion::parse(node).map(|_| ())
    }
    fn is_host_input(&self, node: &Node, i: usize) -> bool {
        Fusion::is_host(node, i)
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let f = Fusion::parse(node)?;
        let (m, n, _, _, _) = dims(node, &ins[0].shape, &ins[1].shape)?;
        f.check(node, ins, n, &[m, n])?;
        Ok(vec![TensorInfo::new(ins[0].dtype, vec![m, n])])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let f = Fusion::parse(node)?;
        let (m, n, k, ta, tb) = dims(node, &ins[0].shape, &ins[1].shape)?;
        let s_shape = if tb { vec![n, 1] } else { vec![n] };
        let (w, bias) = prepare(&f, cx, node, ins, s_shape, n)?;
        let res = f.residual_input().map(|r| ins[r].clone());
        let ep = Epilogue { bias: bias.as_ref(), residual: res.as_ref(), act: f.act, alpha: f.alpha };
        Gemm::matrix(m, n, k, ta, tb).emit_with(cx, node, &ins[0], &w, &ep, &outs[0])
    }
}
