//! Conv3D: 3-D convolution, NDHWC (NCDHW through transposes), SAME/VALID padding, strides and
//! dilations, lowered to one implicit-GEMM kernel (MODE 3 of gemm.wgsl). Also the 3-D window
//! helpers shared with MaxPool3D/AvgPool3D.
use crate::kernel::codes::GemmMode;
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Meta, Operand, MAX_GROUPS_PER_DIM};
use crate::kernel::meta::{w, GemmMeta};
use crate::ops::linalg::gemm::Epilogue;
use crate::ops::nn::window::{dim, is_nchw};
use crate::ops::util::{strided_copy, strides};
use crate::ops::{Op, TensorInfo};

/// Conv3D, its window attributes decoded when the model is loaded.
pub struct Conv3D {
    pub window: Window3D,
}

impl Conv3D {
    pub fn build(node: &Node) -> Result<Conv3D> {
        Ok(Conv3D { window: Window3D::decode(node)? })
    }
}

/// The attributes of a 3-D windowed op (convolution, pool), decoded once when the model is
/// loaded: data format, padding (SAME or VALID), strides, dilations and ksize as (d, h, w), 1
/// where absent.
#[derive(Clone, Copy, Debug)]
pub struct Window3D {
    pub nchw: bool,
    /// "SAME" or "VALID".
    pub padding: &'static str,
    pub strides: [usize; 3],
    pub dilations: [usize; 3],
    pub ksize: [usize; 3],
}

impl Window3D {
    pub fn decode(node: &Node) -> Result<Window3D> {
        let nchw = is_nchw(node)?;
        let padding = match node.attr_string("padding")?.as_str() {
            "SAME" => "SAME",
            "VALID" => "VALID",
            other => return Err(node.err(format!("unsupported padding '{other}'"))),
        };
        Ok(Window3D { nchw, padding, strides: dhw(node, "strides")?, dilations: dhw(node, "dilations")?, ksize: dhw(node, "ksize")? })
    }

    /// NDHWC dims of a 5-D shape in the op's data format.
    pub fn ndhwc(&self, node: &Node, s: &[usize]) -> Result<[usize; 5]> {
        if s.len() != 5 {
            return Err(node.err(format!("expects a 5-D input, got shape {s:?}")));
        }
        Ok(if self.nchw { [s[0], s[2], s[3], s[4], s[1]] } else { [s[0], s[1], s[2], s[3], s[4]] })
    }
}

/// A 5-D attribute (strides, dilations, ksize) as (d, h, w) for the node's data format.
pub fn dhw(node: &Node, name: &str) -> Result<[usize; 3]> {
    let v = node.attr_opt_ints(name)?.unwrap_or_else(|| vec![1; 5]);
    if v.len() != 5 || v.iter().any(|&x| x <= 0) {
        return Err(node.err(format!("attribute '{name}' must be 5 positive ints, got {v:?}")));
    }
    let (sp, b, c) = if is_nchw(node)? { (&v[2..5], v[0], v[1]) } else { (&v[1..4], v[0], v[4]) };
    if b != 1 || c != 1 {
        return Err(node.err(format!("attribute '{name}' must be 1 on the batch and channel dims, got {v:?}")));
    }
    Ok([sp[0] as usize, sp[1] as usize, sp[2] as usize])
}

/// The geometry of a 3-D window op: input [n, d, h, w, c] (NDHWC), window, strides,
/// dilations, output dims and padding before, per spatial dim.
pub struct Geometry3 {
    pub n: usize,
    pub input: [usize; 3],
    pub c: usize,
    pub out: [usize; 3],
    pub k: [usize; 3],
    pub s: [usize; 3],
    pub d: [usize; 3],
    pub pad: [usize; 3],
}

/// Computes the 3-D geometry of a window op on an input shape with window `k` (`node` names
/// errors).
pub fn geometry3(node: &Node, win: &Window3D, input: &[usize], k: [usize; 3], dilated: bool) -> Result<Geometry3> {
    let [n, d0, h0, w0, c] = win.ndhwc(node, input)?;
    let s = win.strides;
    let d = if dilated { win.dilations } else { [1, 1, 1] };
    let padding = win.padding;
    let inp = [d0, h0, w0];
    let mut out = [0; 3];
    let mut pad = [0; 3];
    for i in 0..3 {
        let r = dim(node, padding, inp[i], k[i], s[i], d[i], (0, 0))?;
        out[i] = r.out;
        pad[i] = r.pad_before;
    }
    Ok(Geometry3 { n, input: inp, c, out, k, s, d, pad })
}

/// The output shape in the op's data format.
pub fn out_shape3(win: &Window3D, g: &Geometry3, oc: usize) -> Vec<usize> {
    let [d, h, w] = g.out;
    if win.nchw { vec![g.n, oc, d, h, w] } else { vec![g.n, d, h, w, oc] }
}

/// Runs `body` on NDHWC views of `x` and `y`, transposing when the op is NCDHW (`nchw`).
pub fn with_ndhwc(
    cx: &mut Lower,
    node: &Node,
    nchw: bool,
    x: &Operand,
    y: &Operand,
    body: impl FnOnce(&mut Lower, &Operand, &Operand) -> Result<()>,
) -> Result<()> {
    if !nchw {
        return body(cx, x, y);
    }
    let s = &x.shape;
    let xs = vec![s[0], s[2], s[3], s[4], s[1]];
    let st = strides(s);
    let xt = Operand { id: cx.temp(x.dtype, xs.clone()), shape: xs, value: None, ..x.clone() };
    strided_copy(cx, node, x, &xt, 0, &[st[0] as i64, st[2] as i64, st[3] as i64, st[4] as i64, st[1] as i64])?;
    let o = &y.shape;
    let ys = vec![o[0], o[2], o[3], o[4], o[1]];
    let yt = Operand { id: cx.temp(y.dtype, ys.clone()), shape: ys.clone(), value: None, ..y.clone() };
    body(cx, &xt, &yt)?;
    let t = strides(&ys);
    strided_copy(cx, node, &yt, y, 0, &[t[0] as i64, t[4] as i64, t[1] as i64, t[2] as i64, t[3] as i64])
}

/// The implicit GEMM of a 3-D (transposed) convolution: `input` is the volume the kernel reads
/// (A), `out` the one it writes; window `k`, strides `s`, dilations `d`, and the forward
/// convolution's padding before each dim.
pub struct Volume {
    pub n: usize,
    pub input: [usize; 3],
    pub ic: usize,
    pub out: [usize; 3],
    pub oc: usize,
    pub k: [usize; 3],
    pub s: [usize; 3],
    pub d: [usize; 3],
    pub pad: [usize; 3],
}

/// Emits gemm.wgsl in `mode` Conv3d (filter [KD, KH, KW, IC, OC]) or Conv3dTranspose (transposed:
/// filter [KD, KH, KW, OC, IC]) on NDHWC operands.
pub fn emit3(cx: &mut Lower, mode: GemmMode, v: &Volume, x: &Operand, f: &Operand, y: &Operand) {
    let m = v.n * v.out.iter().product::<usize>();
    let kk = v.k.iter().product::<usize>() * v.ic;
    let ep = Epilogue::none();
    let meta = Meta::from(GemmMeta {
        m: w(m), n: w(v.oc), k: w(kk), batch_inner: 1,
        b_rs: w(v.oc), b_cs: 1,
        ih: w(v.input[1]), iw: w(v.input[2]), ic: w(v.ic), oh: w(v.out[1]),
        ow: w(v.out[2]), kh: w(v.k[1]), kw: w(v.k[2]), sh: w(v.s[1]),
        sw: w(v.s[2]), dh: w(v.d[1]), dw: w(v.d[2]), pt: w(v.pad[1]),
        pl: w(v.pad[2]), alpha: 0.0,
        id: w(v.input[0]), od: w(v.out[0]), kd: w(v.k[0]), sd: w(v.s[0]),
        dd: w(v.d[0]), pf: w(v.pad[0]),
        ..Default::default()
    });
    crate::ops::linalg::gemm::emit_conv(cx, mode, meta, (m, v.oc, kk), (v.ic % 4 == 0, v.oc % 4 == 0), x, f, &ep, y);
}

fn filter_dims(node: &Node, f: &[usize], c: usize) -> Result<([usize; 3], usize)> {
    if f.len() != 5 {
        return Err(node.err(format!("expects a 5-D filter, got shape {f:?}")));
    }
    if f[3] != c {
        return Err(node.err(format!("filter {f:?} does not match {c} input channels (grouped 3-D convolution is not supported)")));
    }
    Ok(([f[0], f[1], f[2]], f[4]))
}

impl Op for Conv3D {
    fn f16(&self) -> bool {
        true
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        if !ins[0].dtype.is_float() {
            return Err(node.err(format!("{} inputs are not supported", ins[0].dtype)));
        }
        let c = self.window.ndhwc(node, &ins[0].shape)?[4];
        let (k, oc) = filter_dims(node, &ins[1].shape, c)?;
        let g = geometry3(node, &self.window, &ins[0].shape, k, true)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, out_shape3(&self.window, &g, oc))])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let c = self.window.ndhwc(node, &ins[0].shape)?[4];
        let (k, oc) = filter_dims(node, &ins[1].shape, c)?;
        let g = geometry3(node, &self.window, &ins[0].shape, k, true)?;
        if oc.div_ceil(64) > MAX_GROUPS_PER_DIM as usize {
            return Err(node.err("convolution too large for one dispatch"));
        }
        let f = &ins[1];
        with_ndhwc(cx, node, self.window.nchw, &ins[0], &outs[0], |cx, x, y| {
            let v = Volume { n: g.n, input: g.input, ic: c, out: g.out, oc, k, s: g.s, d: g.d, pad: g.pad };
            emit3(cx, GemmMode::Conv3d, &v, x, f, y);
            Ok(())
        })
    }
}
