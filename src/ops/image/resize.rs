//! ResizeBilinear and ResizeNearestNeighbor (NHWC; `size` [new_height, new_width] is a host
//! input; align_corners and half_pixel_centers as TensorFlow). Bilinear always returns float32;
//! nearest keeps the dtype.
use crate::kernel::codes::ResizeMethod;
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant};
use crate::kernel::meta::{w, ResizeMeta};
use crate::ops::util::{host, ints};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{DType, Tensor};

/// A resize op; `nearest` selects nearest-neighbour sampling.
/// Its `align_corners` and `half_pixel_centers` are decoded when the model is loaded.
pub struct Resize {
    pub nearest: bool,
    align_corners: bool,
    half_pixel: bool,
}

/// TensorFlow's `CalculateResizeScale`, in float32 as TensorFlow computes it.
pub fn scale(input: usize, output: usize, align_corners: bool) -> f32 {
    if align_corners && output > 1 {
        (input as f32 - 1.0) / (output - 1) as f32
    } else {
        input as f32 / output as f32
    }
}

fn size(node: &Node, t: &Tensor) -> Result<(usize, usize)> {
    let v = ints(node, t)?;
    match v.as_slice() {
        [h, w] if *h > 0 && *w > 0 => Ok((*h as usize, *w as usize)),
        _ => Err(node.err(format!("size must be two positive ints, got {v:?}"))),
    }
}

fn flags(node: &Node) -> Result<(bool, bool)> {
    let ac = node.attr_bool_or("align_corners", false)?;
    let hp = node.attr_bool_or("half_pixel_centers", false)?;
    if ac && hp {
        return Err(node.err("align_corners and half_pixel_centers cannot both be true"));
    }
    Ok((ac, hp))
}

impl Resize {
    /// The op of one node, its flags decoded.
    pub fn build(node: &Node, nearest: bool) -> Result<Resize> {
        let (align_corners, half_pixel) = flags(node)?;
        Ok(Resize { nearest, align_corners, half_pixel })
    }
    fn out_dtype(&self, d: DType) -> DType {
        if self.nearest { d } else { DType::F32 }
    }
}

impl Op for Resize {
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i == 1
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let x = &ins[0];
        if x.shape.len() != 4 {
            return Err(node.err(format!("expects a 4-D NHWC image, got {:?}", x.shape)));
        }
        if !(x.dtype.is_float() || x.dtype.is_int()) {
            return Err(node.err(format!("{} images are not supported", x.dtype)));
        }
        let (h, w) = size(node, host(node, ins, 1)?)?;
        if x.shape[1] == 0 || x.shape[2] == 0 {
            return Err(node.err("cannot resize an empty image"));
        }
        Ok(vec![TensorInfo::new(self.out_dtype(x.dtype), vec![x.shape[0], h, w, x.shape[3]])])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let x = &ins[0];
        let (ac, hp) = (self.align_corners, self.half_pixel);
        let (oh, ow) = size(node, ins[1].value.as_deref().ok_or_else(|| node.needs_values([1], "size must be known"))?)?;
        let (ih, iw, c) = (x.shape[1], x.shape[2], x.shape[3]);
        let y = &outs[0];
        let n = y.elements();
        let meta = Meta::from(ResizeMeta { n: w(n), ih: w(ih), iw: w(iw), c: w(c), oh: w(oh), ow: w(ow), sy: scale(ih, oh, ac), sx: scale(iw, ow, ac) });
        let v = ShaderVariant::new(&shaders::RESIZE)
            .ty("T", x.storage().wgsl())
            .ty("U", y.storage().wgsl())
            .set("MODE", if self.nearest { ResizeMethod::Nearest } else { ResizeMethod::Bilinear })
            .set("HALF", hp as i64)
            .set("ALIGN", ac as i64);
        cx.kernel(v, grid(n, 256), meta, vec![Binding::In(x.id), Binding::Out(y.id)]);
        Ok(())
    }
}
