//! Range(start, limit, delta): its length depends on the values, so it is always computed on
//! the CPU when planning (its inputs must be known then: constants, shapes, or small feeds).
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::util::tensor_from_i64;
use crate::ops::{Op, TensorInfo};
use crate::tensor::{DType, Data, Tensor};

pub struct Range;

/// The most elements a Range may have (it is built on the host).
const MAX_LEN: usize = 1 << 28;

fn scalar(node: &Node, t: &Tensor, what: &str) -> Result<()> {
    if t.len() != 1 {
        return Err(node.err(format!("{what} must be a scalar, got shape {:?}", t.shape())));
    }
    Ok(())
}

/// The number of elements of an integer range (TensorFlow's rules and errors).
pub fn int_len(node: &Node, start: i64, limit: i64, delta: i64) -> Result<usize> {
    if delta == 0 {
        return Err(node.err("delta must not be 0"));
    }
    if (delta > 0 && start > limit) || (delta < 0 && start < limit) {
        return Err(node.err(format!("start {start}, limit {limit} and delta {delta} do not make a range")));
    }
    let span = (limit as i128 - start as i128).unsigned_abs();
    let d = (delta as i128).unsigned_abs();
    let n = span.div_ceil(d);
    usize::try_from(n).ok().filter(|&n| n <= MAX_LEN).ok_or_else(|| node.err(format!("a range of {n} elements is too large")))
}

/// The number of elements of a float range.
pub fn float_len(node: &Node, start: f64, limit: f64, delta: f64) -> Result<usize> {
    if delta == 0.0 || !delta.is_finite() || !start.is_finite() || !limit.is_finite() {
        return Err(node.err("start, limit and delta must be finite and delta non-zero"));
    }
    if (delta > 0.0 && start > limit) || (delta < 0.0 && start < limit) {
        return Err(node.err(format!("start {start}, limit {limit} and delta {delta} do not make a range")));
    }
    let n = ((limit - start) / delta).abs().ceil();
    if n > MAX_LEN as f64 {
        return Err(node.err(format!("a range of {n} elements is too large")));
    }
    Ok(n as usize)
}

fn compute(node: &Node, ins: &[Arc<Tensor>]) -> Result<Tensor> {
    crate::ops::util::arity(node, ins.len(), 3)?;
    for (t, w) in ins.iter().zip(["start", "limit", "delta"]) {
        scalar(node, t, w)?;
    }
    let dt = ins[0].dtype();
    if ins.iter().any(|t| t.dtype() != dt) {
        return Err(node.err("start, limit and delta must have the same type"));
    }
    match dt {
        DType::F32 => {
            let v: Vec<f32> = ins.iter().map(|t| t.to_f32_vec().map(|v| v[0])).collect::<Result<_>>()?;
            let n = float_len(node, v[0] as f64, v[1] as f64, v[2] as f64)?;
            // In float32, like TensorFlow: start + i * delta.
            let out: Vec<f32> = (0..n).map(|i| v[0] + i as f32 * v[2]).collect();
            Tensor::new(dt, vec![n], Data::F32(out))
        }
        DType::F64 => {
            let v: Vec<f64> = ins.iter().map(|t| t.to_f64_vec().map(|v| v[0])).collect::<Result<_>>()?;
            let n = float_len(node, v[0], v[1], v[2])?;
            Tensor::new(dt, vec![n], Data::F64((0..n).map(|i| v[0] + i as f64 * v[2]).collect()))
        }
        d if d.is_int() => {
            let v: Vec<i64> = ins.iter().map(|t| t.to_i64_vec().map(|v| v[0])).collect::<Result<_>>()?;
            let n = int_len(node, v[0], v[1], v[2])?;
            tensor_from_i64(dt, vec![n], (0..n as i64).map(|i| v[0] + i * v[2]).collect())
        }
        d => Err(node.err(format!("does not take {d} inputs"))),
    }
}

impl Op for Range {
    fn is_host_input(&self, _node: &Node, _i: usize) -> bool {
        true
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        Some(compute(node, ins).map(|t| vec![Arc::new(t)]))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 3)?;
        let vals = ins
            .iter()
            .map(|i| i.value.clone())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| node.needs_values(crate::ops::util::missing(ins), "start, limit and delta must be known when planning (the output length depends on them)"))?;
        Ok(vec![TensorInfo::known(Arc::new(compute(node, &vals)?))])
    }
    fn lower(&self, node: &Node, _cx: &mut Lower, _ins: &[Operand], _outs: &[Operand]) -> Result<()> {
        Err(node.err("internal: Range is always computed when planning"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> Node {
        Node { name: "r".into(), op: "Range".into(), inputs: vec![], controls: vec![], attrs: Default::default(), device: String::new() }
    }

    #[test]
    fn lengths_follow_tensorflow() {
        assert_eq!(int_len(&node(), 0, 10, 3).unwrap(), 4);
        assert_eq!(int_len(&node(), 10, 2, -3).unwrap(), 3);
        assert_eq!(int_len(&node(), 5, 5, 1).unwrap(), 0);
        assert!(int_len(&node(), 5, 1, 1).is_err());
        assert!(int_len(&node(), 0, 1, 0).is_err());
        assert_eq!(float_len(&node(), 3.0, 10.0, 1.5).unwrap(), 5);
    }

    #[test]
    fn values() {
        let s = |v: i64| Arc::new(Tensor::from_i64(vec![], vec![v]).unwrap());
        let t = compute(&node(), &[s(10), s(2), s(-3)]).unwrap();
        assert_eq!(t.dtype(), DType::I64);
        assert_eq!(t.to_i64_vec().unwrap(), vec![10, 7, 4]);
    }
}
