//! Pad, PadV2 (constant value) and MirrorPad (REFLECT, SYMMETRIC).
use crate::kernel::codes::PadMode;
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant, Storage};
use crate::kernel::meta::{dims, w as word, PadMeta};
use crate::ops::util::{check_rank, host, ints, strides};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::Tensor;

/// `mirror`: MirrorPad; else Pad / PadV2 (input 2 is the constant value).
pub struct Pad {
    pub mirror: bool,
    /// The pad kernel's MODE (MirrorPad's `mode`, decoded when the model is loaded).
    mode: PadMode,
}

fn paddings(node: &Node, shape: &[usize], p: &Tensor) -> Result<Vec<(usize, usize)>> {
    let v = ints(node, p)?;
    if v.len() != 2 * shape.len() {
        return Err(node.err(format!("paddings {:?} do not match rank {}", p.shape(), shape.len())));
    }
    v.chunks(2)
        .map(|c| {
            if c[0] < 0 || c[1] < 0 {
                return Err(node.err("paddings must be non-negative"));
            }
            Ok((c[0] as usize, c[1] as usize))
        })
        .collect()
}

impl Pad {
    /// The op of one node: Pad / PadV2, or MirrorPad with its `mode` decoded.
    pub fn build(node: &Node, mirror: bool) -> Result<Pad> {
        let mode = match mirror {
            false => PadMode::Constant,
            true => match node.attr_string("mode")?.as_str() {
                "REFLECT" => PadMode::Reflect,
                "SYMMETRIC" => PadMode::Symmetric,
                m => return Err(node.err(format!("unsupported mode {m}"))),
            },
        };
        Ok(Pad { mirror, mode })
    }
}

impl Op for Pad {
    fn f16(&self) -> bool {
        true
    }
    fn int64(&self) -> bool {
        true
    }
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i >= 1
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let p = paddings(node, &ins[0].shape, host(node, ins, 1)?)?;
        let shape = ins[0].shape.iter().zip(&p).map(|(&d, &(a, b))| d + a + b).collect();
        Ok(vec![TensorInfo::new(ins[0].dtype, shape)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let x = &ins[0];
        let out = &outs[0];
        check_rank(node, &x.shape)?;
        let p = paddings(node, &x.shape, ins[1].value.as_ref().ok_or_else(|| node.needs_values([1], "paddings must be constant"))?)?;
        let mode = self.mode;
        let bits: u64 = match ins.get(2).and_then(|v| v.value.clone()) {
            Some(v) => match x.storage() {
                Storage::F32 | Storage::F16 => v.to_f32_vec()?.first().copied().unwrap_or(0.0).to_bits() as u64,
                Storage::I32 => v.to_i64_vec()?.first().copied().unwrap_or(0) as i32 as u32 as u64,
                Storage::I64 => v.to_i64_vec()?.first().copied().unwrap_or(0) as u64,
            },
            None => 0,
        };
        let (lo, hi) = if x.storage() == Storage::I64 { (bits as u32, (bits >> 32) as u32) } else { (bits as u32, bits as u32) };
        // 64-bit elements are padded as pairs of words: a trailing dim of 2, never padded.
        let w = crate::ops::util::words(x);
        let ext = |v: Vec<usize>, last: usize| if w > 1 { v.into_iter().chain([last]).collect() } else { v };
        let before = ext(p.iter().map(|x| x.0).collect(), 0);
        let in_strides = ext(strides(&x.shape).into_iter().map(|s| s * w).collect(), 1);
        let (out_shape, in_shape) = (ext(out.shape.clone(), w), ext(x.shape.clone(), w));
        check_rank(node, &in_shape)?;
        let n = out.elements() * w;
        let meta = Meta::from(PadMeta { n: word(n), rank: word(in_shape.len()), value: lo, value_hi: hi, out_shape: dims(&out_shape, 1), in_shape: dims(&in_shape, 1), before: dims(&before, 0), in_strides: dims(&in_strides, 0) });
        let v = ShaderVariant::new(&shaders::PAD).set("MODE", mode);
        // f16 elements (`--precision f16`) take the constant from its f32 bits.
        let v = if x.storage() == Storage::F16 { v.swap("common/pad_bits.wgsl", "common/pad_f16.wgsl") } else { v };
        cx.kernel(v, grid(n, 256), meta, vec![Binding::In(x.id), Binding::Out(out.id)]);
        Ok(())
    }
}
