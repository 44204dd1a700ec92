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
use crate::ops::nn::window::Window2D;
use crate::ops::{Op, TensorInfo};

/// _FusedDepthwiseConv2dNative (and the TF.js converter's FusedDepthwiseConv2dNative), its
/// window and `fused_ops` decoded when the model is loaded.
pub struct FusedDepthwise {
    pub window: Window2D,
    pub fusion: Fusion,
}

impl FusedDepthwise {
    pub fn build(node: &Node) -> Result<FusedDepthwise> {
        Ok(FusedDepthwise { fusion: Fusion::parse(node)?, window: Window2D::decode(node)? })
    }
}

impl Op for FusedDepthwise {
    fn f16(&self) -> bool {
        true
    }
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        self.fusion.is_host(i)
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let g = geometry(node, &self.window, &ins[0].shape, &ins[1].shape, true)?;
        let shape = out_shape(&self.window, &g);
        self.fusion.check(node, ins, g.oc, &shape)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, shape)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let f = self.fusion;
        let g = geometry(node, &self.window, &ins[0].shape, &ins[1].shape, true)?;
        // Output channel c·multiplier + q: the scale broadcasts over the filter's last two dims.
        let fs = &ins[1].shape;
        let (w, bias) = prepare(&f, cx, node, ins, vec![fs[2], fs[3]], g.oc)?;
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
