//! Conv2DBackpropInput (`conv2d_transpose`): the gradient of Conv2D with respect to its input,
//! used as a learned upsampling. `input_sizes` (input 0) is a host input: the output shape.
//! Lowered to one implicit-GEMM kernel (MODE 2 of gemm.wgsl): each output pixel gathers the
//! input pixels whose forward window covers it; SAME/VALID/EXPLICIT padding, strides,
//! dilations, NHWC or NCHW. With few output channels (a segmentation model's last upsampling),
//! one invocation per output element visits only the taps on the stride grid
//! (`nn/conv_transpose.wgsl`) instead of GEMM tiles 64 channels wide.
use crate::kernel::codes::GemmMode;
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant};
use crate::kernel::meta::{w, ConvTransposeMeta};
use crate::ops::linalg::gemm::Epilogue;
use crate::ops::nn::conv2d::{emit_mode, Geometry};
use crate::ops::nn::window::Window2D;
use crate::ops::util::{host, ints};
use crate::ops::{Op, TensorInfo};
use crate::shaders;

/// `sizes_input`: input 0 holds the output sizes (Conv2DBackpropInput); else input 0's shape is
/// the output shape (Conv2DBackpropInputV2).
/// The window attributes are decoded when the model is loaded.
pub struct Conv2DBackpropInput {
    pub sizes_input: bool,
    pub window: Window2D,
}

impl Conv2DBackpropInput {
    pub fn build(node: &Node, sizes_input: bool) -> Result<Conv2DBackpropInput> {
        Ok(Conv2DBackpropInput { sizes_input, window: Window2D::decode(node)? })
    }
    fn sizes(&self, node: &Node, i0: Option<&crate::tensor::Tensor>, shape0: &[usize]) -> Result<Vec<i64>> {
        if !self.sizes_input {
            return Ok(shape0.iter().map(|&d| d as i64).collect());
        }
        ints(node, i0.ok_or_else(|| node.needs_values([0], "input_sizes must be known when planning"))?)
    }
}

/// The output shape (from `input_sizes`) and the geometry of the transposed convolution:
/// `g.ih/iw/ic` describe the value fed (the forward conv's output), `g.oh/ow/oc` the result,
/// `g.pt/pl` the forward conv's padding.
pub fn geometry(node: &Node, win: &Window2D, sizes: &[i64], filter: &[usize], x: &[usize]) -> Result<(Vec<usize>, Geometry)> {
    if sizes.len() != 4 || sizes.iter().any(|&s| s < 0) {
        return Err(node.err(format!("input_sizes must be 4 non-negative sizes, got {sizes:?}")));
    }
    let out: Vec<usize> = sizes.iter().map(|&s| s as usize).collect();
    if filter.len() != 4 {
        return Err(node.err(format!("expects a 4-D filter, got shape {filter:?}")));
    }
    let [n, oh, ow, oc] = win.nhwc(node, &out)?;
    let [xn, ih, iw, ic] = win.nhwc(node, x)?;
    let (kh, kw) = (filter[0], filter[1]);
    if filter[2] != oc || filter[3] != ic {
        return Err(node.err(format!(
            "filter {filter:?} does not match {oc} output channels and {ic} input channels"
        )));
    }
    if xn != n {
        return Err(node.err(format!("input_sizes batch {n} differs from the value's batch {xn}")));
    }
    let ((sh, sw), (dh, dw)) = (win.strides, win.dilations);
    // The forward convolution maps the result's shape to the value's shape.
    let h = win.dim(node, 0, oh, kh, sh, dh, true)?;
    let w = win.dim(node, 1, ow, kw, sw, dw, true)?;
    if h.out != ih || w.out != iw {
        return Err(node.err(format!(
            "input_sizes {sizes:?} are inconsistent with the value's shape {x:?}: a convolution of \
             the output would give {}x{}, not {ih}x{iw}",
            h.out, w.out
        )));
    }
    let g = Geometry { n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt: h.pad_before, pl: w.pad_before };
    Ok((out, g))
}

impl Op for Conv2DBackpropInput {
    fn f16(&self) -> bool {
        true
    }
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        self.sizes_input && i == 0
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 3)?;
        if !ins[2].dtype.is_float() {
            return Err(node.err(format!("{} inputs are not supported", ins[2].dtype)));
        }
        let v0 = if self.sizes_input { Some(&**host(node, ins, 0)?) } else { None };
        let sizes = self.sizes(node, v0, &ins[0].shape)?;
        let (out, _) = geometry(node, &self.window, &sizes, &ins[1].shape, &ins[2].shape)?;
        Ok(vec![TensorInfo::new(ins[2].dtype, out)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let sizes = self.sizes(node, ins[0].value.as_deref(), &ins[0].shape)?;
        let (_, g) = geometry(node, &self.window, &sizes, &ins[1].shape, &ins[2].shape)?;
        crate::ops::nn::layout::with_nhwc(cx, node, self.window.nchw, &ins[2], &outs[0], |cx, x, y| {
            // Its invocations loop over the taps and channels: within the loop budget.
            if g.oc < 16 && g.kh * g.kw * g.ic <= crate::kernel::LOOP_BUDGET {
                let n = g.n * g.oh * g.ow * g.oc;
                let meta = Meta::from(ConvTransposeMeta {
                    n_out: w(n), ih: w(g.ih), iw: w(g.iw), ic: w(g.ic),
                    oh: w(g.oh), ow: w(g.ow), oc: w(g.oc), kh: w(g.kh),
                    kw: w(g.kw), sh: w(g.sh), sw: w(g.sw), dh: w(g.dh),
                    dw: w(g.dw), pt: w(g.pt), pl: w(g.pl), _p0: 0,
                });
                cx.kernel(ShaderVariant::new(&shaders::CONV_TRANSPOSE), grid(n, 256), meta, vec![Binding::In(x.id), Binding::In(ins[1].id), Binding::Out(y.id)]);
            } else {
                emit_mode(cx, GemmMode::Conv2dTranspose, &g, x, &ins[1], &Epilogue::none(), y);
            }
            Ok(())
        })
    }
}
