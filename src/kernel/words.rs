//! The word codec: a host tensor as the bytes its GPU buffer holds, and back (see
//! [`Storage`]).
use super::{Storage, Target};
use crate::error::{Error, Result};
use crate::tensor::{DType, Data, Tensor};

/// A host tensor as the bytes its GPU buffer holds when uploaded as a constant or feed on
/// `target` (see [`Storage::stored`]).
pub fn to_words(t: &Tensor, name: &str, target: &Target) -> Result<Vec<u8>> {
    let storage = Storage::stored(t.dtype(), target)
        .ok_or_else(|| Error::Feed { name: name.to_string(), msg: format!("{} tensors cannot go to the GPU", t.dtype()) })?;
    to_storage(t, name, storage)
}

/// A host tensor's bytes where `storage` holds its elements as they are (f32 as f32, i32 as
/// i32, i64 as i64): no conversion, no copy. Else `None` ([`to_storage`] converts).
pub fn as_stored(t: &Tensor, storage: Storage) -> Option<&[u8]> {
    match (storage, t.data()) {
        (Storage::F32, Data::F32(v)) => Some(bytemuck::cast_slice(v)),
        (Storage::I32, Data::I32(v)) => Some(bytemuck::cast_slice(v)),
        (Storage::I64, Data::I64(v)) => Some(bytemuck::cast_slice(v)),
        _ => None,
    }
}

/// A host tensor as the bytes of its elements held in `storage`.
pub fn to_storage(t: &Tensor, name: &str, storage: Storage) -> Result<Vec<u8>> {
    if let Some(bytes) = as_stored(t, storage) {
        return Ok(bytes.to_vec());
    }
    let mut out = Vec::with_capacity(t.len() * storage.bytes() as usize);
    match (storage, t.data()) {
        (Storage::F16, _) => {
            for x in t.to_f32_vec()? {
                out.extend_from_slice(&half::f16::from_f32(x).to_le_bytes());
            }
            // Whole words: buffer writes go in 4-byte units.
            out.resize(out.len().next_multiple_of(4), 0);
        }
        (Storage::I64, _) => {
            for x in t.to_i64_vec()? {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        (Storage::F32, _) => {
            for x in t.to_f32_vec()? {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        (Storage::I32, Data::I64(v)) => {
            for &x in v {
                let w = i32::try_from(x).map_err(|_| Error::Feed {
                    name: name.to_string(),
                    msg: format!("value {x} does not fit in 32 bits, which this adapter computes {} in", t.dtype()),
                })?;
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
        (Storage::I32, Data::Bool(v)) => {
            for &x in v {
                out.extend_from_slice(&(x as i32).to_le_bytes());
            }
        }
        (Storage::I32, _) => {
            for x in t.to_i64_vec()? {
                out.extend_from_slice(&(x as i32).to_le_bytes());
            }
        }
    }
    Ok(out)
}

/// Reads a GPU buffer's elements, held in `storage`, back into a tensor of the TensorFlow dtype.
pub fn from_words(bytes: &[u8], dtype: DType, storage: Storage, shape: Vec<usize>) -> Result<Tensor> {
    let data = match storage {
        Storage::F16 => {
            let v = bytes.chunks_exact(2).take(shape.iter().product()).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32());
            match dtype {
                DType::F64 => Data::F64(v.map(|x| x as f64).collect()),
                _ => Data::F32(v.collect()),
            }
        }
        Storage::I64 => Data::I64(bytes.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes"))).collect()),
        Storage::F32 => {
            let v: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            match dtype {
                DType::F64 => Data::F64(v.into_iter().map(|x| x as f64).collect()),
                _ => Data::F32(v),
            }
        }
        Storage::I32 => {
            let v = bytes.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]));
            match dtype {
                DType::Bool => Data::Bool(v.map(|x| x != 0).collect()),
                DType::I64 => Data::I64(v.map(|x| x as i64).collect()),
                DType::U32 | DType::U64 => Data::I64(v.map(|x| x as u32 as i64).collect()),
                _ => Data::I32(v.collect()),
            }
        }
    };
    Tensor::new(dtype, shape, data)
}
