//! DepthwiseConv2dNative: each input channel convolved with its own `multiplier` filters;
//! output channel c·multiplier + q. Dilations, SAME/VALID/EXPLICIT padding, NHWC/NCHW.
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, DepthwiseChoice, Lower, Meta, Operand, ShaderVariant};
use crate::kernel::meta::{w, DepthwiseMeta, DepthwiseVec4Meta};
use crate::ops::linalg::gemm::Epilogue;
use crate::ops::nn::conv2d::{geometry, out_shape, Geometry};
use crate::ops::nn::window::Window2D;
use crate::ops::{Op, TensorInfo};
use crate::shaders;

/// DepthwiseConv2dNative, its window attributes decoded when the model is loaded.
pub struct Depthwise {
    pub window: Window2D,
}

impl Depthwise {
    pub fn build(node: &Node) -> Result<Depthwise> {
        Ok(Depthwise { window: Window2D::decode(node)? })
    }
}

/// Emits the depthwise kernel on NHWC operands.
pub fn emit(cx: &mut Lower, g: &Geometry, x: &Operand, f: &Operand, bias: Option<&Operand>, act: u32, alpha: f32, out: &Operand) {
    emit_with(cx, g, x, f, &Epilogue::bias_act(bias, act, alpha), out)
}

/// The depthwise kernel with a full epilogue (bias, residual add, activation).
pub fn emit_with(cx: &mut Lower, g: &Geometry, x: &Operand, f: &Operand, ep: &Epilogue, out: &Operand) {
    if g.oc == g.ic && g.ic % 4 == 0 {
        // Multiplier 1, channels in fours: 4 channels × `cols` columns per invocation (vec4
        // loads), as the target chose.
        let choice = cx.target().depthwise;
        let (c4, owb) = (g.ic / 4, g.ow.div_ceil(choice.cols().code() as usize));
        let n = g.n * g.oh * owb * c4;
        let meta = Meta::from(DepthwiseVec4Meta {
            n: w(n), ih: w(g.ih), iw: w(g.iw), c4: w(c4),
            oh: w(g.oh), ow: w(g.ow), owb: w(owb), kh: w(g.kh),
            kw: w(g.kw), sh: w(g.sh), sw: w(g.sw), dh: w(g.dh),
            dw: w(g.dw), pt: w(g.pt), pl: w(g.pl), alpha: ep.alpha,
        });
        let mut v = ep.apply(ShaderVariant::new(&shaders::DEPTHWISE_VEC4));
        if choice != DepthwiseChoice::default() {
            // The shader's default is the default choice's (its variant name unchanged).
            v = v.set("COLS", choice.cols());
        }
        let (b, r) = ep.bindings(f);
        cx.kernel(v, grid(n, 64), meta, vec![Binding::In(x.id), Binding::In(f.id), b, Binding::Out(out.id), r]);
        return;
    }
    let n_out = g.n * g.oh * g.ow * g.oc;
    let meta = Meta::from(DepthwiseMeta {
        n_out: w(n_out), ih: w(g.ih), iw: w(g.iw), ic: w(g.ic),
        oh: w(g.oh), ow: w(g.ow), oc: w(g.oc), mult: w(g.oc / g.ic.max(1)),
        kh: w(g.kh), kw: w(g.kw), sh: w(g.sh), sw: w(g.sw),
        dh: w(g.dh), dw: w(g.dw), pt: w(g.pt), pl: w(g.pl),
        alpha: ep.alpha, ..Default::default()
    });
    let v = ep.apply(ShaderVariant::new(&shaders::DEPTHWISE));
    let (b, r) = ep.bindings(f);
    cx.kernel(v, grid(n_out, 256), meta, vec![Binding::In(x.id), Binding::In(f.id), b, Binding::Out(out.id), r]);
}

impl Op for Depthwise {
    fn f16(&self) -> bool {
        true
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let g = geometry(node, &self.window, &ins[0].shape, &ins[1].shape, true)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, out_shape(&self.window, &g))])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let g = geometry(node, &self.window, &ins[0].shape, &ins[1].shape, true)?;
        crate::ops::nn::layout::with_nhwc(cx, node, self.window.nchw, &ins[0], &outs[0], |cx, x, y| {
            emit(cx, &g, x, &ins[1], None, crate::ops::linalg::gemm::act::NONE, 0.0, y);
            Ok(())
        })
    }
}
