//! Cast between dtypes. Same-storage casts that change no bits are views; others run the cast
//! kernel (float→int truncates toward zero, narrow integers wrap, anything→bool tests ≠ 0).
use std::sync::Arc;

use crate::kernel::codes::{Cast64Mode, CastMode};
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant, Storage};
use crate::kernel::meta::{w, CastMeta};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{DType, Tensor};

/// Cast, its `DstT` decoded when the model is loaded.
pub struct Cast {
    to: DType,
}

impl Cast {
    pub fn build(node: &Node) -> Result<Cast> {
        Ok(Cast { to: target(node)? })
    }
}

fn target(node: &Node) -> Result<DType> {
    let t = node.attr_dtype("DstT")?;
    if !t.is_numeric() {
        return Err(node.err(format!("cannot cast to {t}")));
    }
    Ok(t)
}

/// Width in bits and signedness of narrow integer types (wrapped after a cast).
fn narrow(t: DType) -> Option<(u32, bool)> {
    match t {
        DType::I8 => Some((8, true)),
        DType::U8 => Some((8, false)),
        DType::I16 => Some((16, true)),
        DType::U16 => Some((16, false)),
        _ => None,
    }
}

impl Op for Cast {
    fn fold(&self, _node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        Some(ins[0].cast(self.to).map(|t| vec![Arc::new(t)]))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        Ok(vec![TensorInfo::new(self.to, ins[0].shape.clone())])
    }
    fn int64(&self) -> bool {
        true
    }
    fn lower(&self, _node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        convert(cx, &ins[0], &outs[0]);
        Ok(())
    }
}

/// Emits the kernel that converts `x` to `y`'s dtype and storage (or makes `y` a view of `x`
/// when the bits are the same). Also narrows and widens int64 around ops without 64-bit kernels.
pub fn convert(cx: &mut Lower, x: &Operand, y: &Operand) {
    let (from, to) = (x.dtype, y.dtype);
    let n = x.elements();
    let meta = |bits: u32, signed: bool| Meta::from(CastMeta { n: w(n), bits, signed: signed as u32, _pad: 0 });
    let bindings = vec![Binding::In(x.id), Binding::Out(y.id)];
    if x.storage() == Storage::F16 || y.storage() == Storage::F16 {
        // Between f32 and f16 storage (the planner converts at the edges of ops without f16
        // kernels, so an f16 tensor never meets an integer cast).
        debug_assert!(x.storage().is_float() && y.storage().is_float(), "f16 storage converts to and from f32 only");
        if x.storage() == y.storage() {
            cx.alias(y, x);
            return;
        }
        let v = ShaderVariant::new(&shaders::CAST_FLOAT).ty("S", x.storage().wgsl()).ty("D", y.storage().wgsl());
        cx.kernel(v, grid(n, 256), meta(32, true), bindings);
        return;
    }
    if x.storage() == Storage::I64 || y.storage() == Storage::I64 {
        let (mode, bits, signed) = if x.storage() == y.storage() {
            cx.alias(y, x);
            return;
        } else if to == DType::Bool {
            (Cast64Mode::ToBool, 32, true)
        } else {
            match narrow(to) {
                Some((b, s)) if x.storage() == Storage::I64 => (Cast64Mode::Narrow, b, s),
                _ => (Cast64Mode::Convert, 32, true),
            }
        };
        let v = ShaderVariant::new(&shaders::CAST64).ty("S", x.storage().wgsl()).ty("D", y.storage().wgsl()).set("MODE", mode);
        cx.kernel(v, grid(n, 256), meta(bits, signed), bindings);
        return;
    }
    let (mode, bits, signed) = match (x.storage(), y.storage()) {
        (_, _) if to == DType::Bool && from != DType::Bool => (Some(if x.storage() == Storage::F32 { CastMode::FloatToBool } else { CastMode::IntToBool }), 32, true),
        (Storage::F32, Storage::F32) => (None, 0, false),
        (Storage::F32, _) => {
            let (b, s) = narrow(to).unwrap_or((32, true));
            (Some(CastMode::FloatToInt), b, s)
        }
        (_, Storage::F32) => (Some(CastMode::IntToFloat), 32, true),
        (_, _) => match narrow(to) {
            Some((b, s)) if narrow(from) != Some((b, s)) && from != DType::Bool => (Some(CastMode::IntToInt), b, s),
            _ => (None, 0, false),
        },
    };
    let Some(mode) = mode else {
        cx.alias(y, x);
        return;
    };
    let v = ShaderVariant::new(&shaders::CAST).set("MODE", mode);
    cx.kernel(v, grid(n, 256), meta(bits, signed), bindings);
}
