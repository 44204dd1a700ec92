//! Conv2D: 2-D convolution, NHWC (NCHW through transposes), SAME/VALID/EXPLICIT padding,
//! strides and dilations, lowered to one implicit-GEMM kernel (im2col never materialised).
use crate::kernel::codes::{GemmMode, SubgroupGemmMode};
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Binding, Lower, Meta, Operand, ShaderVariant};
use crate::kernel::meta::{w, GemmMeta, GemmSubgroupMeta};
use crate::ops::linalg::gemm::{self, Epilogue};
use crate::ops::nn::window::Window2D;
use crate::ops::{Op, TensorInfo};
use crate::shaders;

/// Conv2D, its window attributes decoded when the model is loaded.
pub struct Conv2D {
    pub window: Window2D,
}

impl Conv2D {
    pub fn build(node: &Node) -> Result<Conv2D> {
        Ok(Conv2D { window: Window2D::decode(node)? })
    }
}

/// The geometry of a Conv2D node on an input and filter shape (NHWC, HWIO).
pub struct Geometry {
    pub n: usize,
    pub ih: usize,
    pub iw: usize,
    pub ic: usize,
    pub oh: usize,
    pub ow: usize,
    pub oc: usize,
    pub kh: usize,
    pub kw: usize,
    pub sh: usize,
    pub sw: usize,
    pub dh: usize,
    pub dw: usize,
    pub pt: usize,
    pub pl: usize,
}

/// Computes the geometry of a convolution with window `win` (`node` names errors); `filter` is
/// [KH, KW, IC, OC-or-multiplier].
pub fn geometry(node: &Node, win: &Window2D, input: &[usize], filter: &[usize], depthwise: bool) -> Result<Geometry> {
    let [n, ih, iw, ic] = win.nhwc(node, input)?;
    if filter.len() != 4 {
        return Err(node.err(format!("expects a 4-D filter, got shape {filter:?}")));
    }
    let (kh, kw) = (filter[0], filter[1]);
    let groups_ok = if depthwise { filter[2] == ic } else { filter[2] > 0 && ic % filter[2] == 0 };
    if !groups_ok {
        return Err(node.err(format!("filter {filter:?} does not match {ic} input channels")));
    }
    if !depthwise && filter[2] != ic {
        return Err(node.err(format!("grouped convolution (filter {filter:?} on {ic} channels) is not supported")));
    }
    // The depthwise kernels loop over the taps of an output's window (convolutions take K in
    // parts): a window beyond what a kernel may loop over is refused.
    if depthwise && kh * (kw + 2) + 1 > crate::kernel::MAX_LOOP_ITERATIONS - 256 {
        return Err(node.err(format!("a {kh}x{kw} depthwise window is too large")));
    }
    let oc = if depthwise { ic * filter[3] } else { filter[3] };
    let ((sh, sw), (dh, dw)) = (win.strides, win.dilations);
    let h = win.dim(node, 0, ih, kh, sh, dh, true)?;
    let w = win.dim(node, 1, iw, kw, sw, dw, true)?;
    Ok(Geometry { n, ih, iw, ic, oh: h.out, ow: w.out, oc, kh, kw, sh, sw, dh, dw, pt: h.pad_before, pl: w.pad_before })
}

/// Output shape in the op's data format.
pub fn out_shape(win: &Window2D, g: &Geometry) -> Vec<usize> {
    win.shape([g.n, g.oh, g.ow, g.oc])
}

/// Emits the implicit-GEMM conv kernel: `x` NHWC, `f` HWIO, optional bias, activation code.
pub fn emit(cx: &mut Lower, g: &Geometry, x: &Operand, f: &Operand, bias: Option<&Operand>, act: u32, alpha: f32, out: &Operand) {
    emit_with(cx, g, x, f, &Epilogue::bias_act(bias, act, alpha), out)
}

/// The conv kernel with a full epilogue (bias, residual add, activation).
pub fn emit_with(cx: &mut Lower, g: &Geometry, x: &Operand, f: &Operand, ep: &Epilogue, out: &Operand) {
    // A 1×1 convolution with stride 1 and no padding is a plain matrix product:
    // [N·H·W, IC] · [IC, OC].
    let pointwise = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.oh == g.ih && g.ow == g.iw;
    if pointwise {
        let node = cx.node().clone();
        let gm = crate::ops::linalg::gemm::Gemm::matrix(g.n * g.oh * g.ow, g.oc, g.ic, false, false);
        if gm.emit_with(cx, &node, x, f, ep, out).is_ok() {
            return;
        }
    }
    emit_mode(cx, GemmMode::Conv2d, g, x, f, ep, out)
}

/// The implicit-GEMM kernel in `mode` Conv2d or Conv2dTranspose (transposed convolution: `g`
/// describes the output as the image, `x` with ih/iw/ic, the filter [KH, KW, OC, IC]).
pub fn emit_mode(cx: &mut Lower, mode: GemmMode, g: &Geometry, x: &Operand, f: &Operand, ep: &Epilogue, out: &Operand) {
    let m = g.n * g.oh * g.ow;
    let k = g.kh * g.kw * g.ic;
    // vec4 loads of 4 channels of a pixel and of 4 filter columns.
    let vec4 = g.ic % 4 == 0 && g.oc % 4 == 0;
    // The subgroup kernel's loop steps: filter rows, taps, and their channels (4 a step with
    // vec4 loads); beyond the budget, the tiled kernel takes K in parts.
    let steps = g.kh + g.kh * g.kw * (1 + if vec4 { g.ic / 4 + g.ic % 4 } else { g.ic });
    if mode == GemmMode::Conv2d && cx.target().gemm == crate::kernel::GemmChoice::Subgroup && g.oc.div_ceil(32) <= crate::kernel::MAX_GROUPS_PER_DIM as usize && steps <= crate::kernel::LOOP_BUDGET {
        // CPU adapters: the subgroup-broadcast kernel with the im2col loader.
        let meta = Meta::from(GemmSubgroupMeta {
            m: w(m), n: w(g.oc), k: w(k), batch_inner: 1,
            b_rs: w(g.oc), b_cs: 1,
            alpha: ep.alpha,
            ih: w(g.ih), iw: w(g.iw), ic: w(g.ic), oh: w(g.oh),
            ow: w(g.ow), kh: w(g.kh), kw: w(g.kw), sh: w(g.sh),
            sw: w(g.sw), dh: w(g.dh), dw: w(g.dw), pt: w(g.pt),
            pl: w(g.pl),
            ..Default::default()
        });
        let v = ep.apply(ShaderVariant::new(&shaders::GEMM_SUBGROUP).set("MODE", SubgroupGemmMode::Conv2d).set("VEC4", vec4 as i64).set("B_VEC4", (g.oc % 4 == 0) as i64));
        let groups = [m.div_ceil(8), g.oc.div_ceil(32), 1];
        let (b, r) = ep.bindings(f);
        let bind = vec![Binding::In(x.id), Binding::In(f.id), b, Binding::Out(out.id), r, Binding::In(x.id), Binding::In(f.id), Binding::Out(out.id)];
        gemm::dispatch(cx, v, meta, groups, (0, 8), gemm::SUBGROUP_OFFSETS, bind);
        return;
    }
    let meta = Meta::from(GemmMeta {
        m: w(m), n: w(g.oc), k: w(k), batch_inner: 1,
        b_rs: w(g.oc), b_cs: 1,
        ih: w(g.ih), iw: w(g.iw), ic: w(g.ic), oh: w(g.oh),
        ow: w(g.ow), kh: w(g.kh), kw: w(g.kw), sh: w(g.sh),
        sw: w(g.sw), dh: w(g.dh), dw: w(g.dw), pt: w(g.pt),
        pl: w(g.pl), alpha: ep.alpha,
        ..Default::default()
    });
    gemm::emit_conv(cx, mode, meta, (m, g.oc, k), (g.ic % 4 == 0, g.oc % 4 == 0), x, f, ep, out);
}

impl Op for Conv2D {
    fn f16(&self) -> bool {
        true
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let g = geometry(node, &self.window, &ins[0].shape, &ins[1].shape, false)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, out_shape(&self.window, &g))])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let g = geometry(node, &self.window, &ins[0].shape, &ins[1].shape, false)?;
        crate::ops::nn::layout::with_nhwc(cx, node, self.window.nchw, &ins[0], &outs[0], |cx, x, y| {
            emit(cx, &g, x, &ins[1], None, crate::ops::linalg::gemm::act::NONE, 0.0, y);
            Ok(())
        })
    }
}
