//! ReverseSequence(input, seq_lengths; seq_dim, batch_dim): reverses the first
//! `seq_lengths[b]` elements along `seq_dim` of each batch entry `b` (bidirectional RNNs).
//! The lengths are usually fed, so a kernel reads them; a CPU fold serves known inputs.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant, Storage};
use crate::kernel::meta::{w as word, ReverseSequenceMeta};
use crate::ops::util::{gather_data, norm_axis, strides, words};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::Tensor;

/// ReverseSequence, its `seq_dim` and `batch_dim` decoded when the model is loaded.
pub struct ReverseSequence {
    seq: i64,
    batch: i64,
}

impl ReverseSequence {
    pub fn build(node: &Node) -> Result<ReverseSequence> {
        Ok(ReverseSequence { seq: node.attr_int("seq_dim")?, batch: node.attr_opt_int("batch_dim")?.unwrap_or(0) })
    }
}

/// (seq_dim, batch_dim), checked against the input's shape and the lengths' count.
fn dims(op: &ReverseSequence, node: &Node, shape: &[usize], lengths: &[usize]) -> Result<(usize, usize)> {
    let rank = shape.len();
    let seq = norm_axis(node, op.seq, rank)?;
    let batch = norm_axis(node, op.batch, rank)?;
    if seq == batch {
        return Err(node.err(format!("seq_dim and batch_dim are both {seq}")));
    }
    if lengths.len() != 1 || lengths[0] != shape[batch] {
        return Err(node.err(format!("seq_lengths has shape {lengths:?}; expected [{}] (the batch dim)", shape[batch])));
    }
    Ok((seq, batch))
}

impl Op for ReverseSequence {
    fn int64(&self) -> bool {
        true
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let (x, l) = (&ins[0], &ins[1]);
        Some((|| {
            let (seq, batch) = dims(self, node, x.shape(), l.shape())?;
            let lens = l.to_i64_vec()?;
            let st = strides(x.shape());
            let n = x.shape()[seq];
            for &len in &lens {
                if len < 0 || len as usize > n {
                    return Err(node.err(format!("seq_lengths holds {len}, outside [0, {n}]")));
                }
            }
            let idx = (0..x.len()).map(|i| {
                let s = i / st[seq] % n;
                let len = lens[i / st[batch] % x.shape()[batch]] as usize;
                if s < len { i + (len - 1 - s) * st[seq] - s * st[seq] } else { i }
            });
            Ok(vec![Arc::new(Tensor::new(x.dtype(), x.shape().to_vec(), gather_data(x.data(), idx))?)])
        })())
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        if !ins[1].dtype.is_int() {
            return Err(node.err(format!("seq_lengths must be integers, got {}", ins[1].dtype)));
        }
        dims(self, node, &ins[0].shape, &ins[1].shape)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, ins[0].shape.clone())])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let (x, l) = (&ins[0], &ins[1]);
        let (seq, batch) = dims(self, node, &x.shape, &l.shape)?;
        let w = words(x);
        let st = strides(&x.shape);
        let n = x.elements() * w;
        let meta = Meta::from(ReverseSequenceMeta { n: word(n), seq_dim: word(x.shape[seq]), seq_stride: word(st[seq] * w), batch_dim: word(x.shape[batch]), batch_stride: word(st[batch] * w), ..Default::default() });
        let v = ShaderVariant::new(&shaders::REVERSE_SEQUENCE).set("LEN64", (l.storage() == Storage::I64) as i64);
        cx.kernel(v, grid(n, 256), meta, vec![Binding::In(x.id), Binding::In(l.id), Binding::Out(outs[0].id)]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(seq: i64, batch: i64) -> Node {
        use crate::proto::{attr_value::Value, AttrValue};
        let int = |i| AttrValue { value: Some(Value::I(i)) };
        let attrs = [("seq_dim".to_string(), int(seq)), ("batch_dim".to_string(), int(batch))].into_iter().collect();
        Node { name: "rs".into(), op: "ReverseSequence".into(), inputs: vec![], controls: vec![], attrs, device: String::new() }
    }

    #[test]
    fn folds_like_tensorflow() {
        // [batch 2, time 4]: reverse the first 3 of row 0 and the first 1 of row 1.
        let x = Arc::new(Tensor::from_f32(vec![2, 4], (0..8).map(|v| v as f32).collect()).unwrap());
        let l = Arc::new(Tensor::from_i64(vec![2], vec![3, 1]).unwrap());
        let op = ReverseSequence::build(&node(1, 0)).unwrap();
        let out = op.fold(&node(1, 0), &[x.clone(), l]).unwrap().unwrap();
        assert_eq!(out[0].to_f32_vec().unwrap(), vec![2., 1., 0., 3., 4., 5., 6., 7.]);
        let bad = Arc::new(Tensor::from_i64(vec![2], vec![5, 1]).unwrap());
        assert!(op.fold(&node(1, 0), &[x.clone(), bad]).unwrap().is_err());
        assert!(dims(&ReverseSequence::build(&node(1, 1)).unwrap(), &node(1, 1), &[2, 4], &[2]).is_err());
        assert!(dims(&op, &node(1, 0), &[2, 4], &[3]).is_err());
    }
}
