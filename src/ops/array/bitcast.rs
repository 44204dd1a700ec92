//! Bitcast(input) to `type`: the same bytes seen as another dtype. On the GPU only between
//! 32-bit types (float32, int32, uint32: a view of the same words) and between the signed and
//! unsigned 8/16-bit integers (a wrapping cast); folding handles every numeric pair (with the
//! last-dim change TensorFlow makes when the sizes differ).
use std::sync::Arc;

use crate::kernel::codes::CastMode;
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant};
use crate::kernel::meta::{w, CastMeta};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{DType, Data, Tensor};

/// Bitcast, its `type` decoded when the model is loaded.
pub struct Bitcast {
    to: DType,
}

impl Bitcast {
    pub fn build(node: &Node) -> Result<Bitcast> {
        Ok(Bitcast { to: node.attr_dtype("type")? })
    }
}

fn out_shape(node: &Node, from: DType, to: DType, shape: &[usize]) -> Result<Vec<usize>> {
    let (a, b) = (from.size_of(), to.size_of());
    if a == 0 || b == 0 || from == DType::Bool || to == DType::Bool {
        return Err(node.err(format!("cannot bitcast {from} to {to}")));
    }
    let mut s = shape.to_vec();
    if a > b {
        s.push(a / b);
    } else if a < b {
        if s.last() != Some(&(b / a)) {
            return Err(node.err(format!("bitcasting {from} to {to} needs a last dim of {}, got shape {shape:?}", b / a)));
        }
        s.pop();
    }
    Ok(s)
}

/// TensorFlow's little-endian bytes of a host tensor.
pub fn le_bytes(t: &Tensor) -> Result<Vec<u8>> {
    let mut b = Vec::with_capacity(t.len() * t.dtype().size_of());
    match (t.data(), t.dtype()) {
        (Data::F32(v), DType::F16) => v.iter().for_each(|&x| b.extend(half::f16::from_f32(x).to_le_bytes())),
        (Data::F32(v), DType::BF16) => v.iter().for_each(|&x| b.extend(half::bf16::from_f32(x).to_le_bytes())),
        (Data::F32(v), _) => v.iter().for_each(|&x| b.extend(x.to_le_bytes())),
        (Data::F64(v), _) => v.iter().for_each(|&x| b.extend(x.to_le_bytes())),
        (Data::I32(v), d) => v.iter().for_each(|&x| b.extend(&x.to_le_bytes()[..d.size_of()])),
        (Data::I64(v), d) => v.iter().for_each(|&x| b.extend(&x.to_le_bytes()[..d.size_of()])),
        _ => return Err(crate::Error::Tensor(format!("cannot bitcast {} tensors", t.dtype()))),
    }
    Ok(b)
}

/// A host tensor of `dtype` from little-endian bytes.
pub fn from_le_bytes(dtype: DType, shape: Vec<usize>, b: &[u8]) -> Result<Tensor> {
    let n = dtype.size_of();
    let word = |c: &[u8]| {
        let mut w = [0u8; 8];
        w[..n].copy_from_slice(c);
        u64::from_le_bytes(w)
    };
    let sext = |x: u64| ((x << (64 - 8 * n)) as i64) >> (64 - 8 * n);
    let it = b.chunks_exact(n);
    let data = match dtype {
        DType::F32 => Data::F32(it.map(|c| f32::from_bits(word(c) as u32)).collect()),
        DType::F16 => Data::F32(it.map(|c| half::f16::from_bits(word(c) as u16).to_f32()).collect()),
        DType::BF16 => Data::F32(it.map(|c| half::bf16::from_bits(word(c) as u16).to_f32()).collect()),
        DType::F64 => Data::F64(it.map(|c| f64::from_bits(word(c))).collect()),
        DType::I8 | DType::I16 | DType::I32 => Data::I32(it.map(|c| sext(word(c)) as i32).collect()),
        DType::U8 | DType::U16 => Data::I32(it.map(|c| word(c) as i32).collect()),
        DType::I64 | DType::U64 => Data::I64(it.map(|c| word(c) as i64).collect()),
        DType::U32 => Data::I64(it.map(|c| word(c) as i64).collect()),
        d => return Err(crate::Error::Tensor(format!("cannot bitcast to {d}"))),
    };
    Tensor::new(dtype, shape, data)
}

/// How the GPU does it: None = a view; Some((bits, signed)) = a wrapping cast; Err = unsupported.
fn gpu_form(node: &Node, from: DType, to: DType) -> Result<Option<(u32, bool)>> {
    let word = |d: DType| matches!(d, DType::F32 | DType::I32 | DType::U32);
    if from == to || (word(from) && word(to)) {
        return Ok(None);
    }
    match (from, to) {
        (DType::I8, DType::U8) => Ok(Some((8, false))),
        (DType::U8, DType::I8) => Ok(Some((8, true))),
        (DType::I16, DType::U16) => Ok(Some((16, false))),
        (DType::U16, DType::I16) => Ok(Some((16, true))),
        _ => Err(node.err(format!("bitcasting {from} to {to} on the GPU is not supported (only between 32-bit types, or signed/unsigned integers of one width)"))),
    }
}

impl Op for Bitcast {
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        Some((|| {
            let to = self.to;
            let s = out_shape(node, ins[0].dtype(), to, ins[0].shape())?;
            Ok(vec![Arc::new(from_le_bytes(to, s, &le_bytes(&ins[0])?)?)])
        })())
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        let to = self.to;
        Ok(vec![TensorInfo::new(to, out_shape(node, ins[0].dtype, to, &ins[0].shape)?)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        match gpu_form(node, ins[0].dtype, outs[0].dtype)? {
            None => cx.alias(&outs[0], &ins[0]),
            Some((bits, signed)) => {
                let n = ins[0].elements();
                let v = ShaderVariant::new(&shaders::CAST).set("MODE", CastMode::IntToInt);
                cx.kernel(v, grid(n, 256), Meta::from(CastMeta { n: w(n), bits, signed: signed as u32, _pad: 0 }), vec![Binding::In(ins[0].id), Binding::Out(outs[0].id)]);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_bitcasts() {
        let f = Tensor::from_f32(vec![2], vec![1.0, -2.0]).unwrap();
        let i = from_le_bytes(DType::I32, vec![2], &le_bytes(&f).unwrap()).unwrap();
        assert_eq!(i.to_i64_vec().unwrap(), vec![0x3f800000, 0xc0000000u32 as i32 as i64]);
        let u8s = Tensor::new(DType::U8, vec![2], Data::I32(vec![255, 1])).unwrap();
        let i8s = from_le_bytes(DType::I8, vec![2], &le_bytes(&u8s).unwrap()).unwrap();
        assert_eq!(i8s.to_i64_vec().unwrap(), vec![-1, 1]);
        let n = Node { name: "b".into(), op: "Bitcast".into(), inputs: vec![], controls: vec![], attrs: Default::default(), device: String::new() };
        assert_eq!(out_shape(&n, DType::I32, DType::U8, &[3]).unwrap(), vec![3, 4]);
        assert_eq!(out_shape(&n, DType::U8, DType::I32, &[3, 4]).unwrap(), vec![3]);
        assert!(out_shape(&n, DType::U8, DType::I32, &[3, 2]).is_err());
    }
}
