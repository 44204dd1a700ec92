//! ClipByValue(t, clip_value_min, clip_value_max) = max(min(t, max), min), with the bounds
//! scalars or broadcast to t's shape. One ternary kernel.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::math::select::ternary_kernel;
use crate::ops::util::{broadcast_shapes, broadcast_strides, strided_indices, strides, tensor_from_f64, tensor_from_i64};
use crate::ops::{Op, TensorInfo};
use crate::tensor::{Data, Tensor};

pub struct ClipByValue;

/// Strides of (t, min, max) over t's shape.
fn layout(node: &Node, t: &[usize], lo: &[usize], hi: &[usize]) -> Result<[Vec<usize>; 3]> {
    for b in [lo, hi] {
        if broadcast_shapes(t, b).as_deref() != Some(t) {
            return Err(node.err(format!("clip bound of shape {b:?} does not broadcast to {t:?}")));
        }
    }
    Ok([strides(t), broadcast_strides(lo, t), broadcast_strides(hi, t)])
}

impl Op for ClipByValue {
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let t = &ins[0];
        if t.len() > 1 << 20 {
            return None;
        }
        Some((|| {
            let st = layout(node, t.shape(), ins[1].shape(), ins[2].shape())?;
            let idx: Vec<Vec<usize>> = st
                .iter()
                .map(|s| strided_indices(t.shape(), &s.iter().map(|&x| x as i64).collect::<Vec<_>>(), 0))
                .collect();
            let r = match t.data() {
                Data::F32(_) | Data::F64(_) => {
                    let v: Vec<Vec<f64>> = ins.iter().map(|x| x.to_f64_vec()).collect::<Result<_>>()?;
                    let out = (0..t.len()).map(|k| v[0][idx[0][k]].min(v[2][idx[2][k]]).max(v[1][idx[1][k]])).collect();
                    tensor_from_f64(t.dtype(), t.shape().to_vec(), out)?
                }
                _ => {
                    let v: Vec<Vec<i64>> = ins.iter().map(|x| x.to_i64_vec()).collect::<Result<_>>()?;
                    let out = (0..t.len()).map(|k| v[0][idx[0][k]].min(v[2][idx[2][k]]).max(v[1][idx[1][k]])).collect();
                    tensor_from_i64(t.dtype(), t.shape().to_vec(), out)?
                }
            };
            Ok(vec![Arc::new(r)])
        })())
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 3)?;
        if ins[1].dtype != ins[0].dtype || ins[2].dtype != ins[0].dtype {
            return Err(node.err("t and its bounds must have the same type"));
        }
        if !ins[0].dtype.is_float() && !ins[0].dtype.is_int() {
            return Err(node.err(format!("does not take {} inputs", ins[0].dtype)));
        }
        layout(node, &ins[0].shape, &ins[1].shape, &ins[2].shape)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, ins[0].shape.clone())])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let st = layout(node, &ins[0].shape, &ins[1].shape, &ins[2].shape)?;
        ternary_kernel(cx, node, crate::kernel::codes::TernaryOp::Clip, ins[0].storage().wgsl(), [&ins[0], &ins[1], &ins[2]], &st, &outs[0])
    }
}
