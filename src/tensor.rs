//! Host tensors: a dtype, a shape and the values, with `.npy` input and output.
use std::path::Path;

use crate::error::{Error, Result};
use crate::proto;

/// TensorFlow element types that wgtf knows about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    F32,
    F64,
    F16,
    BF16,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    Bool,
    String,
    Resource,
    Variant,
}

impl DType {
    /// From TensorFlow's `DataType` enum value (reference types map to their base type).
    pub fn from_tf(v: i32) -> Option<DType> {
        let v = if v > 100 { v - 100 } else { v };
        use proto::DataType as D;
        Some(match D::try_from(v).ok()? {
            D::DtFloat => DType::F32,
            D::DtDouble => DType::F64,
            D::DtHalf => DType::F16,
            D::DtBfloat16 => DType::BF16,
            D::DtInt8 => DType::I8,
            D::DtInt16 => DType::I16,
            D::DtInt32 => DType::I32,
            D::DtInt64 => DType::I64,
            D::DtUint8 => DType::U8,
            D::DtUint16 => DType::U16,
            D::DtUint32 => DType::U32,
            D::DtUint64 => DType::U64,
            D::DtBool => DType::Bool,
            D::DtString => DType::String,
            D::DtResource => DType::Resource,
            D::DtVariant => DType::Variant,
            _ => return None,
        })
    }

    /// TensorFlow's `DataType` enum value.
    pub fn to_tf(self) -> i32 {
        use proto::DataType as D;
        (match self {
            DType::F32 => D::DtFloat,
            DType::F64 => D::DtDouble,
            DType::F16 => D::DtHalf,
            DType::BF16 => D::DtBfloat16,
            DType::I8 => D::DtInt8,
            DType::I16 => D::DtInt16,
            DType::I32 => D::DtInt32,
            DType::I64 => D::DtInt64,
            DType::U8 => D::DtUint8,
            DType::U16 => D::DtUint16,
            DType::U32 => D::DtUint32,
            DType::U64 => D::DtUint64,
            DType::Bool => D::DtBool,
            DType::String => D::DtString,
            DType::Resource => D::DtResource,
            DType::Variant => D::DtVariant,
        }) as i32
    }

    /// Size of one element in TensorFlow's little-endian encoding.
    pub fn size_of(self) -> usize {
        match self {
            DType::F64 | DType::I64 | DType::U64 => 8,
            DType::F32 | DType::I32 | DType::U32 => 4,
            DType::F16 | DType::BF16 | DType::I16 | DType::U16 => 2,
            DType::I8 | DType::U8 | DType::Bool => 1,
            DType::String | DType::Resource | DType::Variant => 0,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64 | DType::F16 | DType::BF16)
    }
    pub fn is_int(self) -> bool {
        matches!(
            self,
            DType::I8 | DType::I16 | DType::I32 | DType::I64 | DType::U8 | DType::U16 | DType::U32 | DType::U64
        )
    }
    /// Types that can live in a GPU buffer (as 32-bit words).
    pub fn is_numeric(self) -> bool {
        self.is_float() || self.is_int() || self == DType::Bool
    }

    /// The storage class of values of this type on the host.
    pub fn host_class(self) -> HostClass {
        match self {
            DType::F32 | DType::F16 | DType::BF16 => HostClass::F32,
            DType::F64 => HostClass::F64,
            DType::I8 | DType::I16 | DType::I32 | DType::U8 | DType::U16 => HostClass::I32,
            DType::I64 | DType::U32 | DType::U64 => HostClass::I64,
            DType::Bool => HostClass::Bool,
            DType::String | DType::Resource | DType::Variant => HostClass::Str,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::U8 => "uint8",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::U64 => "uint64",
            DType::Bool => "bool",
            DType::String => "string",
            DType::Resource => "resource",
            DType::Variant => "variant",
        }
    }
}

impl DType {
    /// The dtype of a name as [`DType::name`] writes it (`"float32"`, `"int64"`, …).
    pub fn from_name(s: &str) -> Option<DType> {
        use DType::*;
        [F32, F64, F16, BF16, I8, I16, I32, I64, U8, U16, U32, U64, Bool, String, Resource, Variant].into_iter().find(|d| d.name() == s)
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How values of a dtype are held on the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostClass {
    F32,
    F64,
    I32,
    I64,
    Bool,
    Str,
}

/// The values of a host tensor. Small integer types are held widened in `I32`,
/// unsigned 32/64-bit in `I64`, half and bfloat16 widened to `F32`.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    Bool(Vec<bool>),
    Str(Vec<Vec<u8>>),
}

impl Data {
    pub fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::F64(v) => v.len(),
            Data::I32(v) => v.len(),
            Data::I64(v) => v.len(),
            Data::Bool(v) => v.len(),
            Data::Str(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn class(&self) -> HostClass {
        match self {
            Data::F32(_) => HostClass::F32,
            Data::F64(_) => HostClass::F64,
            Data::I32(_) => HostClass::I32,
            Data::I64(_) => HostClass::I64,
            Data::Bool(_) => HostClass::Bool,
            Data::Str(_) => HostClass::Str,
        }
    }
    /// An empty vector of the class.
    pub fn empty(class: HostClass) -> Data {
        match class {
            HostClass::F32 => Data::F32(vec![]),
            HostClass::F64 => Data::F64(vec![]),
            HostClass::I32 => Data::I32(vec![]),
            HostClass::I64 => Data::I64(vec![]),
            HostClass::Bool => Data::Bool(vec![]),
            HostClass::Str => Data::Str(vec![]),
        }
    }
}

/// Number of elements of a shape, checked for overflow.
pub fn num_elements(shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::Tensor(format!("shape {shape:?} has too many elements")))
}

/// A tensor on the host: dtype, shape and values (row-major).
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    dtype: DType,
    shape: Vec<usize>,
    data: Data,
}

impl Tensor {
    /// A tensor from parts; the data's class must match the dtype and its length the shape.
    pub fn new(dtype: DType, shape: Vec<usize>, data: Data) -> Result<Tensor> {
        let n = num_elements(&shape)?;
        if data.class() != dtype.host_class() {
            return Err(Error::Tensor(format!("{dtype} tensor cannot hold {:?} values", data.class())));
        }
        if data.len() != n {
            return Err(Error::Tensor(format!(
                "shape {shape:?} needs {n} values, got {}",
                data.len()
            )));
        }
        Ok(Tensor { dtype, shape, data })
    }

    pub fn from_f32(shape: Vec<usize>, v: Vec<f32>) -> Result<Tensor> {
        Tensor::new(DType::F32, shape, Data::F32(v))
    }
    pub fn from_i32(shape: Vec<usize>, v: Vec<i32>) -> Result<Tensor> {
        Tensor::new(DType::I32, shape, Data::I32(v))
    }
    pub fn from_i64(shape: Vec<usize>, v: Vec<i64>) -> Result<Tensor> {
        Tensor::new(DType::I64, shape, Data::I64(v))
    }
    pub fn from_bool(shape: Vec<usize>, v: Vec<bool>) -> Result<Tensor> {
        Tensor::new(DType::Bool, shape, Data::Bool(v))
    }
    /// A scalar float.
    pub fn scalar_f32(v: f32) -> Tensor {
        Tensor { dtype: DType::F32, shape: vec![], data: Data::F32(vec![v]) }
    }
    /// A tensor of zeros.
    pub fn zeros(dtype: DType, shape: Vec<usize>) -> Result<Tensor> {
        let n = num_elements(&shape)?;
        let data = match dtype.host_class() {
            HostClass::F32 => Data::F32(vec![0.0; n]),
            HostClass::F64 => Data::F64(vec![0.0; n]),
            HostClass::I32 => Data::I32(vec![0; n]),
            HostClass::I64 => Data::I64(vec![0; n]),
            HostClass::Bool => Data::Bool(vec![false; n]),
            HostClass::Str => Data::Str(vec![Vec::new(); n]),
        };
        Ok(Tensor { dtype, shape, data })
    }

    pub fn dtype(&self) -> DType {
        self.dtype
    }
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    pub fn data(&self) -> &Data {
        &self.data
    }
    pub fn into_data(self) -> Data {
        self.data
    }
    pub fn len(&self) -> usize {
        self.data.len()
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// Same values, another shape with the same number of elements.
    pub fn reshape(mut self, shape: Vec<usize>) -> Result<Tensor> {
        if num_elements(&shape)? != self.len() {
            return Err(Error::Tensor(format!("cannot reshape {:?} into {shape:?}", self.shape)));
        }
        self.shape = shape;
        Ok(self)
    }

    /// The f32 values, if this is a float32 tensor.
    pub fn as_f32(&self) -> Result<&[f32]> {
        match &self.data {
            Data::F32(v) => Ok(v),
            _ => Err(Error::Tensor(format!("expected a float32 tensor, got {}", self.dtype))),
        }
    }

    /// Values converted to f64 (any numeric dtype).
    pub fn to_f64_vec(&self) -> Result<Vec<f64>> {
        Ok(match &self.data {
            Data::F32(v) => v.iter().map(|&x| x as f64).collect(),
            Data::F64(v) => v.clone(),
            Data::I32(v) => v.iter().map(|&x| x as f64).collect(),
            Data::I64(v) => v.iter().map(|&x| x as f64).collect(),
            Data::Bool(v) => v.iter().map(|&x| x as u8 as f64).collect(),
            Data::Str(_) => return Err(Error::Tensor("a string tensor has no numeric values".into())),
        })
    }

    /// Values converted to f32 (any numeric dtype).
    pub fn to_f32_vec(&self) -> Result<Vec<f32>> {
        match &self.data {
            Data::F32(v) => Ok(v.clone()),
            _ => Ok(self.to_f64_vec()?.into_iter().map(|x| x as f32).collect()),
        }
    }

    /// Integer values as i64 (integer and bool dtypes; floats are truncated toward zero).
    pub fn to_i64_vec(&self) -> Result<Vec<i64>> {
        Ok(match &self.data {
            Data::I32(v) => v.iter().map(|&x| x as i64).collect(),
            Data::I64(v) => v.clone(),
            Data::Bool(v) => v.iter().map(|&x| x as i64).collect(),
            Data::F32(v) => v.iter().map(|&x| x as i64).collect(),
            Data::F64(v) => v.iter().map(|&x| x as i64).collect(),
            Data::Str(_) => return Err(Error::Tensor("a string tensor has no numeric values".into())),
        })
    }

    /// Converts to another numeric dtype the way `tf.cast` does.
    pub fn cast(&self, to: DType) -> Result<Tensor> {
        if to == self.dtype {
            return Ok(self.clone());
        }
        let data = match to.host_class() {
            HostClass::F32 => Data::F32(self.to_f32_vec()?),
            HostClass::F64 => Data::F64(self.to_f64_vec()?),
            HostClass::I32 => {
                let v = match &self.data {
                    Data::F32(v) => v.iter().map(|&x| x as i64).collect(),
                    _ => self.to_i64_vec()?,
                };
                Data::I32(v.into_iter().map(|x| wrap_int(x, to) as i32).collect())
            }
            HostClass::I64 => Data::I64(self.to_i64_vec()?.into_iter().map(|x| wrap_int(x, to)).collect()),
            HostClass::Bool => Data::Bool(self.to_f64_vec()?.into_iter().map(|x| x != 0.0).collect()),
            HostClass::Str => return Err(Error::Tensor(format!("cannot cast {} to string", self.dtype))),
        };
        Tensor::new(to, self.shape.clone(), data)
    }

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

/// Wraps an integer into the range of a narrower integer dtype (two's complement), like a C cast.
pub fn wrap_int(x: i64, to: DType) -> i64 {
    match to {
        DType::I8 => x as i8 as i64,
        DType::I16 => x as i16 as i64,
        DType::I32 => x as i32 as i64,
        DType::U8 => x as u8 as i64,
        DType::U16 => x as u16 as i64,
        DType::U32 => x as u32 as i64,
        _ => x,
    }
}

impl From<Vec<f32>> for Tensor {
    fn from(v: Vec<f32>) -> Tensor {
        Tensor { dtype: DType::F32, shape: vec![v.len()], data: Data::F32(v) }
    }
}
impl From<&[f32]> for Tensor {
    fn from(v: &[f32]) -> Tensor {
        Tensor::from(v.to_vec())
    }
}
impl From<Vec<i32>> for Tensor {
    fn from(v: Vec<i32>) -> Tensor {
        Tensor { dtype: DType::I32, shape: vec![v.len()], data: Data::I32(v) }
    }
}
impl From<Vec<i64>> for Tensor {
    fn from(v: Vec<i64>) -> Tensor {
        Tensor { dtype: DType::I64, shape: vec![v.len()], data: Data::I64(v) }
    }
}
impl TryFrom<Tensor> for Vec<f32> {
    type Error = Error;
    fn try_from(t: Tensor) -> Result<Vec<f32>> {
        match t.data {
            Data::F32(v) => Ok(v),
            _ => t.to_f32_vec(),
        }
    }
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

    #[test]
    fn cast_wraps_like_tensorflow() {
        let t = Tensor::from_f32(vec![3], vec![1.7, -1.7, 300.0]).unwrap();
        assert_eq!(t.cast(DType::I32).unwrap().to_i64_vec().unwrap(), vec![1, -1, 300]);
        let u = Tensor::from_i32(vec![2], vec![300, -1]).unwrap().cast(DType::U8).unwrap();
        assert_eq!(u.to_i64_vec().unwrap(), vec![44, 255]);
    }
}
