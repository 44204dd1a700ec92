//! TensorProto and TensorShapeProto decoding, for every numeric dtype, from `tensor_content`
//! (little-endian) or the typed repeated fields (where a short list fills the shape with its
//! last value).
use crate::error::{Error, Result};
use crate::proto::{TensorProto, TensorShapeProto};
use crate::tensor::{num_elements, DType, Data, Tensor};

/// The largest rank TensorFlow allows (`TensorShape::MaxDimensions()`).
pub const MAX_DIMS: usize = 254;

/// `None` for unknown rank, else one entry per dim, `None` where the dim is unknown.
pub fn decode_shape(s: &TensorShapeProto) -> Result<Option<Vec<Option<usize>>>> {
    if s.unknown_rank {
        return Ok(None);
    }
    if s.dim.len() > MAX_DIMS {
        return Err(Error::Tensor(format!("a shape of rank {} (TensorFlow's limit is {MAX_DIMS})", s.dim.len())));
    }
    s.dim
        .iter()
        .map(|d| match d.size {
            -1 => Ok(None),
            n if n >= 0 => usize::try_from(n).map(Some).map_err(|_| Error::Tensor(format!("dimension {n} too large"))),
            n => Err(Error::Tensor(format!("invalid dimension {n}"))),
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// A fully known shape.
fn known_shape(s: Option<&TensorShapeProto>) -> Result<Vec<usize>> {
    let Some(s) = s else { return Ok(vec![]) };
    match decode_shape(s)? {
        Some(dims) if dims.iter().all(Option::is_some) => Ok(dims.into_iter().map(Option::unwrap).collect()),
        _ => Err(Error::Tensor("a constant tensor must have a fully known shape".into())),
    }
}

/// The largest constant that a short value list may be expanded to (2^27 elements).
const MAX_FILLED_ELEMENTS: usize = 1 << 27;

/// Expands a typed value list to `n` values: empty means zeros, shorter repeats the last value.
fn fill<T: Copy + Default>(v: &[T], n: usize, what: &str) -> Result<Vec<T>> {
    if v.len() == n {
        return Ok(v.to_vec());
    }
    if v.len() > n {
        return Err(Error::Tensor(format!("{} {what} values for a tensor of {n} elements", v.len())));
    }
    // A few bytes of file must not expand into gigabytes of memory.
    if n > MAX_FILLED_ELEMENTS {
        return Err(Error::Tensor(format!("a constant of {n} elements filled from {} values is too large", v.len())));
    }
    let last = v.last().copied().unwrap_or_default();
    let mut out = Vec::with_capacity(n);
    out.extend_from_slice(v);
    out.resize(n, last);
    Ok(out)
}

fn le_chunks<const N: usize>(b: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    b.chunks_exact(N).map(|c| {
        let mut a = [0u8; N];
        a.copy_from_slice(c);
        a
    })
}

/// Decodes a constant tensor.
pub fn decode_tensor(t: &TensorProto) -> Result<Tensor> {
    let dtype = DType::from_tf(t.dtype).ok_or_else(|| Error::Tensor(format!("unsupported data type {}", t.dtype)))?;
    let shape = known_shape(t.tensor_shape.as_ref())?;
    let n = num_elements(&shape)?;
    let data = if !t.tensor_content.is_empty() {
        let b = &t.tensor_content;
        let size = dtype.size_of();
        if size == 0 {
            return Err(Error::Tensor(format!("{dtype} tensors have no packed content")));
        }
        if n.checked_mul(size) != Some(b.len()) {
            return Err(Error::Tensor(format!(
                "tensor_content has {} bytes, a {dtype} tensor of shape {shape:?} needs {}",
                b.len(),
                n.saturating_mul(size)
            )));
        }
        match dtype {
            DType::F32 => Data::F32(le_chunks::<4>(b).map(f32::from_le_bytes).collect()),
            DType::F64 => Data::F64(le_chunks::<8>(b).map(f64::from_le_bytes).collect()),
            DType::F16 => Data::F32(le_chunks::<2>(b).map(|c| half::f16::from_le_bytes(c).to_f32()).collect()),
            DType::BF16 => Data::F32(le_chunks::<2>(b).map(|c| half::bf16::from_le_bytes(c).to_f32()).collect()),
            DType::I8 => Data::I32(b.iter().map(|&x| x as i8 as i32).collect()),
            DType::U8 => Data::I32(b.iter().map(|&x| x as i32).collect()),
            DType::I16 => Data::I32(le_chunks::<2>(b).map(|c| i16::from_le_bytes(c) as i32).collect()),
            DType::U16 => Data::I32(le_chunks::<2>(b).map(|c| u16::from_le_bytes(c) as i32).collect()),
            DType::I32 => Data::I32(le_chunks::<4>(b).map(i32::from_le_bytes).collect()),
            DType::U32 => Data::I64(le_chunks::<4>(b).map(|c| u32::from_le_bytes(c) as i64).collect()),
            DType::I64 => Data::I64(le_chunks::<8>(b).map(i64::from_le_bytes).collect()),
            DType::U64 => Data::I64(le_chunks::<8>(b).map(|c| u64::from_le_bytes(c) as i64).collect()),
            DType::Bool => Data::Bool(b.iter().map(|&x| x != 0).collect()),
            DType::String | DType::Resource | DType::Variant => unreachable!("size 0 handled above"),
        }
    } else {
        match dtype {
            DType::F32 => Data::F32(fill(&t.float_val, n, "float")?),
            DType::F64 => Data::F64(fill(&t.double_val, n, "double")?),
            DType::F16 => Data::F32(
                fill(&t.half_val, n, "half")?.into_iter().map(|h| half::f16::from_bits(h as u16).to_f32()).collect(),
            ),
            DType::BF16 => Data::F32(
                fill(&t.half_val, n, "bfloat16")?.into_iter().map(|h| half::bf16::from_bits(h as u16).to_f32()).collect(),
            ),
            DType::I8 | DType::I16 | DType::I32 | DType::U8 | DType::U16 => {
                Data::I32(fill(&t.int_val, n, "int")?.into_iter().map(|x| crate::tensor::wrap_int(x as i64, dtype) as i32).collect())
            }
            DType::I64 => Data::I64(fill(&t.int64_val, n, "int64")?),
            DType::U32 => Data::I64(fill(&t.uint32_val, n, "uint32")?.into_iter().map(|x| x as i64).collect()),
            DType::U64 => Data::I64(fill(&t.uint64_val, n, "uint64")?.into_iter().map(|x| x as i64).collect()),
            DType::Bool => Data::Bool(fill(&t.bool_val, n, "bool")?),
            DType::String => {
                if t.string_val.len() != n {
                    return Err(Error::Tensor(format!("{} strings for {n} elements", t.string_val.len())));
                }
                Data::Str(t.string_val.clone())
            }
            DType::Resource | DType::Variant => {
                return Err(Error::Tensor(format!("{dtype} constants are not supported")));
            }
        }
    };
    // Half and bfloat16 are widened to float32 on the host and the GPU.
    let dtype = if matches!(dtype, DType::F16 | DType::BF16) { DType::F32 } else { dtype };
    Tensor::new(dtype, shape, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::tensor_shape_proto::Dim;

    fn shape(d: &[i64]) -> Option<TensorShapeProto> {
        Some(TensorShapeProto { dim: d.iter().map(|&size| Dim { size, name: String::new() }).collect(), unknown_rank: false })
    }
    fn proto(dtype: DType, d: &[i64]) -> TensorProto {
        TensorProto { dtype: dtype.to_tf(), tensor_shape: shape(d), ..Default::default() }
    }

    #[test]
    fn content_every_dtype() {
        let cases: Vec<(DType, Vec<u8>, Vec<f64>)> = vec![
            (DType::F32, [1.5f32, -2.0].iter().flat_map(|x| x.to_le_bytes()).collect(), vec![1.5, -2.0]),
            (DType::F64, [0.25f64, 3.0].iter().flat_map(|x| x.to_le_bytes()).collect(), vec![0.25, 3.0]),
            (DType::F16, [half::f16::from_f32(1.5), half::f16::from_f32(-4.0)].iter().flat_map(|x| x.to_le_bytes()).collect(), vec![1.5, -4.0]),
            (DType::BF16, [half::bf16::from_f32(2.0), half::bf16::from_f32(-0.5)].iter().flat_map(|x| x.to_le_bytes()).collect(), vec![2.0, -0.5]),
            (DType::I8, vec![0xff, 7], vec![-1.0, 7.0]),
            (DType::U8, vec![0xff, 7], vec![255.0, 7.0]),
            (DType::I16, [-300i16, 5].iter().flat_map(|x| x.to_le_bytes()).collect(), vec![-300.0, 5.0]),
            (DType::U16, [60000u16, 5].iter().flat_map(|x| x.to_le_bytes()).collect(), vec![60000.0, 5.0]),
            (DType::I32, [-7i32, 1 << 20].iter().flat_map(|x| x.to_le_bytes()).collect(), vec![-7.0, 1048576.0]),
            (DType::U32, [4000000000u32, 1].iter().flat_map(|x| x.to_le_bytes()).collect(), vec![4e9, 1.0]),
            (DType::I64, [-(1i64 << 40), 3].iter().flat_map(|x| x.to_le_bytes()).collect(), vec![-(2f64.powi(40)), 3.0]),
            (DType::U64, [1u64 << 40, 3].iter().flat_map(|x| x.to_le_bytes()).collect(), vec![2f64.powi(40), 3.0]),
            (DType::Bool, vec![1, 0], vec![1.0, 0.0]),
        ];
        for (dt, bytes, want) in cases {
            let mut p = proto(dt, &[2]);
            p.tensor_content = bytes;
            let t = decode_tensor(&p).unwrap();
            assert_eq!(t.to_f64_vec().unwrap(), want, "{dt}");
            assert_eq!(t.shape(), &[2]);
        }
    }

    #[test]
    fn typed_fields_fill_the_shape() {
        let mut p = proto(DType::F32, &[2, 3]);
        p.float_val = vec![1.0, 2.0];
        assert_eq!(decode_tensor(&p).unwrap().as_f32().unwrap(), &[1.0, 2.0, 2.0, 2.0, 2.0, 2.0]);
        let mut p = proto(DType::I32, &[3]);
        p.int_val = vec![4];
        assert_eq!(decode_tensor(&p).unwrap().to_i64_vec().unwrap(), vec![4, 4, 4]);
        let mut p = proto(DType::I64, &[]);
        p.int64_val = vec![9];
        assert_eq!(decode_tensor(&p).unwrap().to_i64_vec().unwrap(), vec![9]);
        let p = proto(DType::F32, &[2]); // no values at all: zeros
        assert_eq!(decode_tensor(&p).unwrap().as_f32().unwrap(), &[0.0, 0.0]);
        let mut p = proto(DType::F16, &[2]);
        p.half_val = vec![half::f16::from_f32(0.5).to_bits() as i32];
        assert_eq!(decode_tensor(&p).unwrap().as_f32().unwrap(), &[0.5, 0.5]);
        let mut p = proto(DType::BF16, &[1]);
        p.half_val = vec![half::bf16::from_f32(3.0).to_bits() as i32];
        assert_eq!(decode_tensor(&p).unwrap().as_f32().unwrap(), &[3.0]);
        let mut p = proto(DType::Bool, &[2]);
        p.bool_val = vec![true];
        assert_eq!(decode_tensor(&p).unwrap().to_i64_vec().unwrap(), vec![1, 1]);
        let mut p = proto(DType::U8, &[1]);
        p.int_val = vec![200];
        assert_eq!(decode_tensor(&p).unwrap().to_i64_vec().unwrap(), vec![200]);
    }

    #[test]
    fn bad_content_is_an_error() {
        let mut p = proto(DType::F32, &[3]);
        p.tensor_content = vec![0; 8];
        assert!(decode_tensor(&p).is_err());
        let mut p = proto(DType::F32, &[1]);
        p.float_val = vec![1.0, 2.0];
        assert!(decode_tensor(&p).is_err());
        let p = proto(DType::F32, &[-1, 2]);
        assert!(decode_tensor(&p).is_err());
        let p = TensorProto { dtype: 999, ..Default::default() };
        assert!(decode_tensor(&p).is_err());
        // Absurd shapes do not allocate.
        let mut p = proto(DType::F32, &[1 << 40, 1 << 40]);
        p.float_val = vec![1.0];
        assert!(decode_tensor(&p).is_err());
    }
}
