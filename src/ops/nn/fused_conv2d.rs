//! _FusedConv2D (grappler): Conv2D followed by the `fused_ops` epilogue (see `fused.rs`),
//! lowered to one implicit-GEMM kernel.
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::linalg::gemm::Epilogue;
use crate::ops::nn::conv2d::{emit_with, geometry, out_shape};
use crate::ops::nn::fused::{prepare, Fusion};
use crate::ops::nn::layout::with_nhwc;
use crate::ops::nn::window::Window2D;
use crate::ops::util::{strided_copy, strides};
use crate::ops::{Op, TensorInfo};

/// _FusedConv2D, its window and `fused_ops` decoded when the model is loaded.
pub struct FusedConv2D {
    pub window: Window2D,
    pub fusion: Fusion,
}

impl FusedConv2D {
    pub fn build(node: &Node) -> Result<FusedConv2D> {
        Ok(FusedConv2D { fusion: Fusion::parse(node)?, window: Window2D::decode(node)? })
    }
}

/// An NCHW residual (`nchw`) seen as NHWC (a transposed copy); NHWC ones are used as they are.
pub fn nhwc_residual(cx: &mut Lower, node: &Node, nchw: bool, r: &Operand) -> Result<Operand> {
    if !nchw {
        return Ok(r.clone());
    }
    let s = &r.shape;
    let ts = vec![s[0], s[2], s[3], s[1]];
    let st = strides(s);
    let t = Operand { id: cx.temp(r.dtype, ts.clone()), dtype: r.dtype, storage: cx.storage_of(r.dtype), shape: ts, value: None };
    strided_copy(cx, node, r, &t, 0, &[st[0] as i64, st[2] as i64, st[3] as i64, st[1] as i64])?;
    Ok(t)
}

impl Op for FusedConv2D {
    fn f16(&self) -> bool {
        true
    }
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        self.fusion.is_host(i)
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let g = geometry(node, &self.window, &ins[0].shape, &ins[1].shape, false)?;
        let shape = out_shape(&self.window, &g);
        self.fusion.check(node, ins, g.oc, &shape)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, shape)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let f = self.fusion;
        let g = geometry(node, &self.window, &ins[0].shape, &ins[1].shape, false)?;
        let (w, bias) = prepare(&f, cx, node, ins, vec![g.oc], g.oc)?;
        let res = match f.residual_input() {
            Some(r) => Some(nhwc_residual(cx, node, self.window.nchw, &ins[r])?),
            None => None,
        };
        with_nhwc(cx, node, self.window.nchw, &ins[0], &outs[0], |cx, x, y| {
            let ep = Epilogue { bias: bias.as_ref(), residual: res.as_ref(), act: f.act, alpha: f.alpha };
            emit_with(cx, &g, x, &w, &ep, y);
            Ok(())
        })
    }
}
