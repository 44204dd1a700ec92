//! _FusedDepthwiseConv2dNative (grappler): DepthwiseConv2dNative followed by the `fused_ops`
//! epilogue (see `fused.rs`), lowered to one depthwise kernel.
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::linalg::gemm::Epilogue;
use crate::ops::nn::conv2d::{geometry, out_shape};
use crate::ops::nn::depthwise::emit_with;
use crate::ops::nn::fused::{prepare, Fusion};
use crate::ops::nn::fused_conv2d::nhwc_residual;
use crate::ops::nn::layout::with_nhwc;
use crate::ops::{Op, TensorInfo};

pub struct FusedDepthwise;

impl Op for FusedDepthwise {
    fn f16(&self) -> bool {
        true
    }
    fn check(&self, node: &Node) -> Result<()> {
        Fusion::parse(node)?;
        crate::ops::nn::window::check(node, true)
    }
    fn is_host_input(&self, node: &Node, i: usize) -> bool {
        Fusion::is_host(node, i)
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let f = Fusion::parse(node)?;
        let g = geometry(node, &ins[0].shape, &ins[1].shape, true)?;
        let shape = out_shape(node, &g)?;
        f.check(node, ins, g.oc, &shape)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, shape)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let f = Fusion::parse(node)?;
        let g = geometry(node, &ins[0].shape, &ins[1].shape, true)?;
        // Output channel c·multiplier + q: the scale broadcasts over the filter's last two dims.
        let fs = &ins[1].shape;
        let (w, bias) = prepare(&f, cx, node, ins, vec![fs[2], fs[3]], g.oc)?;
        let res = match f.residual_input() {
            Some(r) => Some(nhwc_residual(cx, node, &ins[r])?),
            None => None,
        };
        with_nhwc(cx, node, &ins[0], &outs[0], |cx, x, y| {
            let ep = Epilogue { bias: bias.as_ref(), residual: res.as_ref(), act: f.act, alpha: f.alpha };
            emit_with(cx, &g, x, &w, &ep, y);
            Ok(())
        })
    }
}
