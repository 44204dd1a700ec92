//! Host tensors: a dtype, a shape and the values, with `.npy` input and output.
mod dtype;
mod npy;

use crate::error::{Error, Result};

pub use dtype::{DType, HostClass};

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
    fn cast_wraps_like_tensorflow() {
        let t = Tensor::from_f32(vec![3], vec![1.7, -1.7, 300.0]).unwrap();
        assert_eq!(t.cast(DType::I32).unwrap().to_i64_vec().unwrap(), vec![1, -1, 300]);
        let u = Tensor::from_i32(vec![2], vec![300, -1]).unwrap().cast(DType::U8).unwrap();
        assert_eq!(u.to_i64_vec().unwrap(), vec![44, 255]);
    }
}
