//! Dynamic batching: requests whose feeds differ only in their first dim (same inputs, dtypes
//! and other dims; same fetches) run as one batch — their feeds concatenated along dim 0, the
//! outputs split back by rows. Only for inputs that declare an unknown first dim (a batch
//! dim). The context is made batch-invariant (`ContextOptions::batch_invariant`), so a row's
//! results are the same bits whether it ran alone or with others; an output whose first dim is
//! not the batch (a reduction over it) makes the worker run the requests one by one instead.
use std::time::Duration;

use crate::tensor::{DType, Data, Tensor};

/// Batching parameters (TensorFlow Serving's names).
#[derive(Clone, Debug)]
pub struct Batching {
    /// The most rows (sum of the requests' first dims) in one run.
    pub max_batch_size: usize,
    /// How long a worker holding a request waits for more to fill the batch.
    pub batch_timeout: Duration,
}

/// What requests must share to run as one batch: fetches, and each feed's name, dtype and dims
/// after the first.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BatchKey {
    pub fetches: Vec<String>,
    pub feeds: Vec<(String, DType, Vec<usize>)>,
}

/// The key and rows of a request, if it can join a batch: every feed has rank ≥ 1 and the same
/// first dim, and its input declares that dim unknown (`batch_dims[i]`).
pub fn key(feeds: &[(String, Tensor)], fetches: &[String], batch_dims: &[bool]) -> Option<(BatchKey, usize)> {
    let rows = feeds.first()?.1.shape().first().copied()?;
    let ok = feeds.len() == batch_dims.len()
        && batch_dims.iter().all(|b| *b)
        && feeds.iter().all(|(_, t)| t.shape().first() == Some(&rows))
        && rows > 0;
    if !ok {
        return None;
    }
    let feeds = feeds.iter().map(|(n, t)| (n.clone(), t.dtype(), t.shape()[1..].to_vec())).collect();
    Some((BatchKey { fetches: fetches.to_vec(), feeds }, rows))
}

/// Concatenates tensors of one dtype and equal trailing dims along dim 0 (values copied as they
/// are: no conversion).
pub fn concat(parts: &[&Tensor]) -> Result<Tensor, String> {
    let first = parts.first().ok_or("nothing to concatenate")?;
    let rows: usize = parts.iter().map(|t| t.shape().first().copied().unwrap_or(0)).sum();
    let mut shape = first.shape().to_vec();
    if shape.is_empty() {
        return Err("a scalar has no batch dim".into());
    }
    shape[0] = rows;
    let mut data = Data::empty(first.dtype().host_class());
    for t in parts {
        if t.dtype() != first.dtype() || t.shape().get(1..) != first.shape().get(1..) {
            return Err(format!("{} {:?} does not stack with {} {:?}", t.dtype(), t.shape(), first.dtype(), first.shape()));
        }
        match (&mut data, t.data()) {
            (Data::F32(a), Data::F32(b)) => a.extend_from_slice(b),
            (Data::F64(a), Data::F64(b)) => a.extend_from_slice(b),
            (Data::I32(a), Data::I32(b)) => a.extend_from_slice(b),
            (Data::I64(a), Data::I64(b)) => a.extend_from_slice(b),
            (Data::Bool(a), Data::Bool(b)) => a.extend_from_slice(b),
            (Data::Str(a), Data::Str(b)) => a.extend_from_slice(b),
            _ => return Err("values of different kinds".into()),
        }
    }
    Tensor::new(first.dtype(), shape, data).map_err(|e| e.to_string())
}

/// Splits a tensor along dim 0 into parts of `rows` rows each (which must add up to dim 0).
pub fn split(t: &Tensor, rows: &[usize]) -> Result<Vec<Tensor>, String> {
    let total: usize = rows.iter().sum();
    if t.shape().first() != Some(&total) {
        return Err(format!("output of shape {:?} has no batch dim of {total} rows", t.shape()));
    }
    let row: usize = t.shape()[1..].iter().product();
    let mut out = Vec::with_capacity(rows.len());
    let mut at = 0;
    for &r in rows {
        let range = at * row..(at + r) * row;
        let data = match t.data() {
            Data::F32(v) => Data::F32(v[range].to_vec()),
            Data::F64(v) => Data::F64(v[range].to_vec()),
            Data::I32(v) => Data::I32(v[range].to_vec()),
            Data::I64(v) => Data::I64(v[range].to_vec()),
            Data::Bool(v) => Data::Bool(v[range].to_vec()),
            Data::Str(v) => Data::Str(v[range].to_vec()),
        };
        let mut shape = t.shape().to_vec();
        shape[0] = r;
        out.push(Tensor::new(t.dtype(), shape, data).map_err(|e| e.to_string())?);
        at += r;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_then_split_gives_the_parts_back() {
        let a = Tensor::from_f32(vec![1, 2], vec![1.0, 2.0]).unwrap();
        let b = Tensor::from_f32(vec![2, 2], vec![3.0, 4.0, 5.0, f32::NAN]).unwrap();
        let c = concat(&[&a, &b]).unwrap();
        assert_eq!(c.shape(), &[3, 2]);
        let parts = split(&c, &[1, 2]).unwrap();
        assert_eq!(parts[0], a);
        assert_eq!(parts[1].shape(), b.shape());
        assert!(parts[1].as_f32().unwrap()[3].is_nan());
        assert!(split(&c, &[1, 1]).is_err());
        assert!(concat(&[&a, &Tensor::from_f32(vec![1, 3], vec![0.0; 3]).unwrap()]).is_err());
    }

    #[test]
    fn keys_need_a_batch_dim_on_every_feed() {
        let x = Tensor::from_f32(vec![2, 3], vec![0.0; 6]).unwrap();
        let f = vec!["y:0".to_string()];
        let (k, rows) = key(&[("x:0".into(), x.clone())], &f, &[true]).unwrap();
        assert_eq!((k.feeds[0].2.clone(), rows), (vec![3], 2));
        assert!(key(&[("x:0".into(), x.clone())], &f, &[false]).is_none());
        let s = Tensor::scalar_f32(1.0);
        assert!(key(&[("x:0".into(), s)], &f, &[true]).is_none());
        let z = Tensor::from_f32(vec![3, 3], vec![0.0; 9]).unwrap();
        assert!(key(&[("x:0".into(), x), ("z:0".into(), z)], &f, &[true, true]).is_none());
    }
}
