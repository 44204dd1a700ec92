//! LinSpace(start, stop, num): `num` evenly spaced values from start to stop (the last is stop
//! exactly, as TensorFlow). Its length depends on `num`, so it is computed when planning.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::util::{ints, tensor_from_f64};
use crate::ops::{Op, TensorInfo};
use crate::tensor::{DType, Data, Tensor};

pub struct LinSpace;

/// The most elements a LinSpace may have (it is built on the host).
const MAX_LEN: i64 = 1 << 26;

fn compute(node: &Node, ins: &[Arc<Tensor>]) -> Result<Tensor> {
    crate::ops::util::arity(node, ins.len(), 3)?;
    if ins.iter().any(|t| t.len() != 1) {
        return Err(node.err("start, stop and num must be scalars"));
    }
    let n = ints(node, &ins[2])?[0];
    if !(1..=MAX_LEN).contains(&n) {
        return Err(node.err(format!("num must be in [1, {MAX_LEN}], got {n}")));
    }
    let dt = ins[0].dtype();
    if !dt.is_float() || ins[1].dtype() != dt {
        return Err(node.err("start and stop must be floats of one type"));
    }
    let n = n as usize;
    if dt == DType::F64 {
        let (a, b) = (ins[0].to_f64_vec()?[0], ins[1].to_f64_vec()?[0]);
        let step = if n > 1 { (b - a) / (n - 1) as f64 } else { 0.0 };
        let v = (0..n).map(|i| if i + 1 == n && n > 1 { b } else { a + step * i as f64 }).collect();
        return tensor_from_f64(dt, vec![n], v);
    }
    // float32 arithmetic (half types are widened to it on the host).
    let (a, b) = (ins[0].to_f32_vec()?[0], ins[1].to_f32_vec()?[0]);
    let step = if n > 1 { (b - a) / (n - 1) as f32 } else { 0.0 };
    let v = (0..n).map(|i| if i + 1 == n && n > 1 { b } else { a + step * i as f32 }).collect();
    Tensor::new(dt, vec![n], Data::F32(v))
}

impl Op for LinSpace {
    fn is_host_input(&self, _node: &Node, _i: usize) -> bool {
        true
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        Some(compute(node, ins).map(|t| vec![Arc::new(t)]))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        let vals = ins
            .iter()
            .map(|i| i.value.clone())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| node.needs_values(crate::ops::util::missing(ins), "start, stop and num must be known when planning (the output length depends on num)"))?;
        Ok(vec![TensorInfo::known(Arc::new(compute(node, &vals)?))])
    }
    fn lower(&self, node: &Node, _cx: &mut Lower, _ins: &[Operand], _outs: &[Operand]) -> Result<()> {
        Err(node.err("internal: LinSpace is always computed when planning"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_exactly_at_stop() {
        let n = Node { name: "l".into(), op: "LinSpace".into(), inputs: vec![], controls: vec![], attrs: Default::default(), device: String::new() };
        let f = |v: f32| Arc::new(Tensor::scalar_f32(v));
        let t = compute(&n, &[f(0.0), f(1.0), Arc::new(Tensor::from_i32(vec![], vec![4]).unwrap())]).unwrap();
        assert_eq!(t.to_f32_vec().unwrap(), vec![0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0]);
        let one = compute(&n, &[f(2.0), f(5.0), Arc::new(Tensor::from_i32(vec![], vec![1]).unwrap())]).unwrap();
        assert_eq!(one.to_f32_vec().unwrap(), vec![2.0]);
        assert!(compute(&n, &[f(2.0), f(5.0), Arc::new(Tensor::from_i32(vec![], vec![0]).unwrap())]).is_err());
    }
}
