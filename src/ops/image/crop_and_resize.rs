//! CropAndResize: crops boxes out of a batch of NHWC images and resizes them to `crop_size`
//! (a host input), bilinear or nearest, with `extrapolation_value` outside the image. Boxes
//! are normalised [y1, x1, y2, x2] (flipped boxes flip the crop). A box whose `box_ind` is out
//! of range gets `extrapolation_value` everywhere (TensorFlow reports an error; the index is
//! only known on the GPU here).
use crate::kernel::codes::ResizeMethod;
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant};
use crate::kernel::meta::{w as word, CropAndResizeMeta};
use crate::ops::util::{host, ints};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::DType;

/// CropAndResize, its `method` (bilinear or nearest) and `extrapolation_value` decoded when
/// the model is loaded.
pub struct CropAndResize {
    method: ResizeMethod,
    extrapolation: f32,
}

impl CropAndResize {
    pub fn build(node: &Node) -> Result<CropAndResize> {
        Ok(CropAndResize { method: method(node)?, extrapolation: node.attr_opt_float("extrapolation_value")?.unwrap_or(0.0) })
    }
}

fn crop(node: &Node, t: &crate::tensor::Tensor) -> Result<(usize, usize)> {
    let v = ints(node, t)?;
    match v.as_slice() {
        [h, w] if *h > 0 && *w > 0 => Ok((*h as usize, *w as usize)),
        _ => Err(node.err(format!("crop_size must be two positive ints, got {v:?}"))),
    }
}

fn method(node: &Node) -> Result<ResizeMethod> {
    match node.attr_string_or("method", "bilinear")?.as_str() {
        "bilinear" => Ok(ResizeMethod::Bilinear),
        "nearest" => Ok(ResizeMethod::Nearest),
        m => Err(node.err(format!("unsupported method '{m}'"))),
    }
}

impl Op for CropAndResize {
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i == 3
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 4)?;
        let (img, boxes, ind) = (&ins[0], &ins[1], &ins[2]);
        if img.shape.len() != 4 || img.shape[1] == 0 || img.shape[2] == 0 {
            return Err(node.err(format!("expects a non-empty 4-D image, got {:?}", img.shape)));
        }
        if !(img.dtype.is_float() || img.dtype.is_int()) {
            return Err(node.err(format!("{} images are not supported", img.dtype)));
        }
        if boxes.shape.len() != 2 || boxes.shape[1] != 4 || ind.shape != [boxes.shape[0]] {
            return Err(node.err(format!("boxes must be [N, 4] and box_ind [N], got {:?} and {:?}", boxes.shape, ind.shape)));
        }
        let (h, w) = crop(node, host(node, ins, 3)?)?;
        Ok(vec![TensorInfo::new(DType::F32, vec![boxes.shape[0], h, w, img.shape[3]])])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let img = &ins[0];
        let (h, w) = crop(node, ins[3].value.as_deref().ok_or_else(|| node.needs_values([3], "crop_size must be known"))?)?;
        let extrapolation = self.extrapolation;
        let y = &outs[0];
        let n = y.elements();
        let meta = Meta::from(CropAndResizeMeta {
            n: word(n), batch: word(img.shape[0]), ih: word(img.shape[1]), iw: word(img.shape[2]),
            c: word(img.shape[3]), ch: word(h), cw: word(w), extrapolation,
        });
        let v = ShaderVariant::new(&shaders::CROP_AND_RESIZE).ty("T", img.storage().wgsl()).set("MODE", self.method);
        cx.kernel(v, grid(n, 256), meta, vec![Binding::In(img.id), Binding::In(ins[1].id), Binding::In(ins[2].id), Binding::Out(y.id)]);
        Ok(())
    }
}
