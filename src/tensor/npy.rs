//! `.npy` input and output of host tensors.
use std::path::Path;

use super::{num_elements, Data, DType, Tensor};
use crate::error::{Error, Result};

impl Tensor {
    /// Reads a `.npy` file (C order; float16 is widened to float32).
    pub fn read_npy(path: impl AsRef<Path>) -> Result<Tensor> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Tensor::from_npy_bytes(&bytes).map_err(|msg| Error::Npy { path: path.into(), msg })
    }

    /// Parses the bytes of a `.npy` file.
    pub fn from_npy_bytes(bytes: &[u8]) -> std::result::Result<Tensor, String> {
        check_npy_preamble(bytes)?;
        let npy = npyz::NpyFile::new(bytes).map_err(|e| e.to_string())?;
        if npy.order() == npyz::Order::Fortran {
            return Err("Fortran-ordered arrays are not supported; save with np.ascontiguousarray".into());
        }
        let shape: Vec<usize> = npy
            .shape()
            .iter()
            .map(|&d| usize::try_from(d).map_err(|_| "dimension too large".to_string()))
            .collect::<std::result::Result<_, _>>()?;
        let n = num_elements(&shape).map_err(|e| e.to_string())?;
        let npyz::DType::Plain(ts) = npy.dtype() else {
            return Err("structured arrays are not supported".into());
        };
        let size = ts.size_field() as usize;
        // Refuse a header that claims more data than the file holds before allocating.
        if size.checked_mul(n).is_none_or(|b| b > bytes.len()) {
            return Err(format!("header declares {n} elements of {size} bytes, more than the file holds"));
        }
        use npyz::TypeChar as C;
        let err = |e: std::io::Error| e.to_string();
        let (dtype, data) = match (ts.type_char(), size) {
            (C::Float, 4) => (DType::F32, Data::F32(npy.into_vec::<f32>().map_err(err)?)),
            (C::Float, 8) => (DType::F64, Data::F64(npy.into_vec::<f64>().map_err(err)?)),
            (C::Float, 2) => (
                DType::F32,
                Data::F32(npy.into_vec::<half::f16>().map_err(err)?.into_iter().map(f32::from).collect()),
            ),
            (C::Int, 1) => (DType::I8, Data::I32(npy.into_vec::<i8>().map_err(err)?.into_iter().map(i32::from).collect())),
            (C::Int, 2) => (DType::I16, Data::I32(npy.into_vec::<i16>().map_err(err)?.into_iter().map(i32::from).collect())),
            (C::Int, 4) => (DType::I32, Data::I32(npy.into_vec::<i32>().map_err(err)?)),
            (C::Int, 8) => (DType::I64, Data::I64(npy.into_vec::<i64>().map_err(err)?)),
            (C::Uint, 1) => (DType::U8, Data::I32(npy.into_vec::<u8>().map_err(err)?.into_iter().map(i32::from).collect())),
            (C::Uint, 2) => (DType::U16, Data::I32(npy.into_vec::<u16>().map_err(err)?.into_iter().map(i32::from).collect())),
            (C::Uint, 4) => (DType::U32, Data::I64(npy.into_vec::<u32>().map_err(err)?.into_iter().map(i64::from).collect())),
            (C::Uint, 8) => (DType::U64, Data::I64(npy.into_vec::<u64>().map_err(err)?.into_iter().map(|x| x as i64).collect())),
            (C::Bool, 1) => (DType::Bool, Data::Bool(npy.into_vec::<bool>().map_err(err)?)),
            (c, s) => return Err(format!("unsupported npy dtype {c:?}{s}")),
        };
        Tensor::new(dtype, shape, data).map_err(|e| e.to_string())
    }

    /// Writes a `.npy` file with the tensor's own dtype.
    pub fn write_npy(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.to_npy_bytes()?;
        std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
    }

    /// The bytes of a `.npy` file holding this tensor.
    pub fn to_npy_bytes(&self) -> Result<Vec<u8>> {
        use npyz::WriterBuilder;
        fn write<T: npyz::AutoSerialize + Copy>(shape: &[usize], v: impl Iterator<Item = T>) -> std::io::Result<Vec<u8>> {
            let mut out = Vec::new();
            let shape: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
            let mut w = npyz::WriteOptions::new().default_dtype().shape(&shape).writer(&mut out).begin_nd()?;
            w.extend(v)?;
            w.finish()?;
            Ok(out)
        }
        let s = &self.shape;
        let r = match (&self.data, self.dtype) {
            (Data::F32(v), DType::F16) => write(s, v.iter().map(|&x| half::f16::from_f32(x))),
            (Data::F32(v), _) => write(s, v.iter().copied()),
            (Data::F64(v), _) => write(s, v.iter().copied()),
            (Data::I32(v), DType::I8) => write(s, v.iter().map(|&x| x as i8)),
            (Data::I32(v), DType::I16) => write(s, v.iter().map(|&x| x as i16)),
            (Data::I32(v), DType::U8) => write(s, v.iter().map(|&x| x as u8)),
            (Data::I32(v), DType::U16) => write(s, v.iter().map(|&x| x as u16)),
            (Data::I32(v), _) => write(s, v.iter().copied()),
            (Data::I64(v), DType::U32) => write(s, v.iter().map(|&x| x as u32)),
            (Data::I64(v), DType::U64) => write(s, v.iter().map(|&x| x as u64)),
            (Data::I64(v), _) => write(s, v.iter().copied()),
            (Data::Bool(v), _) => write(s, v.iter().copied()),
            (Data::Str(_), _) => return Err(Error::Tensor("string tensors cannot be written as .npy".into())),
        };
        r.map_err(|e| Error::Tensor(format!("npy encoding: {e}")))
    }
}

/// The header length an `.npy` preamble declares (u16 in version 1, u32 in versions 2 and 3)
/// must fit in the file: npyz allocates it before reading, so 4 bytes could ask for 4 GiB.
fn check_npy_preamble(bytes: &[u8]) -> std::result::Result<(), String> {
    let (len, start) = match bytes {
        [0x93, b'N', b'U', b'M', b'P', b'Y', 1, _, a, b, ..] => (u16::from_le_bytes([*a, *b]) as usize, 10),
        [0x93, b'N', b'U', b'M', b'P', b'Y', 2 | 3, _, a, b, c, d, ..] => (u32::from_le_bytes([*a, *b, *c, *d]) as usize, 12),
        // Anything else: npyz says what is wrong.
        _ => return Ok(()),
    };
    if len > bytes.len() - start {
        return Err(format!("the header declares {len} bytes, but only {} follow the preamble", bytes.len() - start));
    }
    // npyz's parser of the header (a Python literal) takes exponential time in the nesting
    // depth: 60 braces hang it. Real headers nest 4 deep at most (structured dtypes).
    let mut depth = 0usize;
    for &b in &bytes[start..start + len] {
        match b {
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > 8 {
            return Err("the header nests deeper than 8 levels".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_round_trip_every_dtype() {
        let ts = vec![
            Tensor::from_f32(vec![2, 3], vec![1.0, -2.5, 3.0, 0.0, 5.5, -6.0]).unwrap(),
            Tensor::from_i32(vec![3], vec![1, -2, 3]).unwrap(),
            Tensor::from_i64(vec![2], vec![1 << 40, -7]).unwrap(),
            Tensor::from_bool(vec![2, 1], vec![true, false]).unwrap(),
            Tensor::new(DType::U8, vec![2], Data::I32(vec![0, 255])).unwrap(),
            Tensor::new(DType::F64, vec![], Data::F64(vec![0.125])).unwrap(),
        ];
        for t in ts {
            let b = t.to_npy_bytes().unwrap();
            assert_eq!(Tensor::from_npy_bytes(&b).unwrap(), t);
        }
    }

    #[test]
    fn npy_rejects_garbage_and_lying_headers() {
        assert!(Tensor::from_npy_bytes(b"not an npy file").is_err());
        let t = Tensor::from_f32(vec![4], vec![1.0; 4]).unwrap();
        let b = t.to_npy_bytes().unwrap();
        assert!(Tensor::from_npy_bytes(&b[..b.len() - 4]).is_err());
    }
}
