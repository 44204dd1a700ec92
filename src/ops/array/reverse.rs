//! ReverseV2(tensor, axis) and Reverse(tensor, dims: one bool per dim): a strided copy with
//! negative strides on the reversed dims.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::util::{gather_data, host, ints, norm_axis, strided_copy, strided_indices, strides};
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

/// `bools`: Reverse (dims is a bool vector); else ReverseV2 (a list of axes).
pub struct Reverse {
    pub bools: bool,
}

/// (base, strides) reading `shape` reversed on the dims flagged in `rev`.
pub fn reversed_view(shape: &[usize], rev: &[bool]) -> (i64, Vec<i64>) {
    let st = strides(shape);
    let mut base = 0i64;
    let s = (0..shape.len())
        .map(|d| {
            if rev[d] && shape[d] > 0 {
                base += (shape[d] as i64 - 1) * st[d] as i64;
                -(st[d] as i64)
            } else {
                st[d] as i64
            }
        })
        .collect();
    (base, s)
}

impl Reverse {
    fn flags(&self, node: &Node, t: &Tensor, rank: usize) -> Result<Vec<bool>> {
        if self.bools {
            let v = t.to_i64_vec()?;
            if v.len() != rank {
                return Err(node.err(format!("dims has {} entries for rank {rank}", v.len())));
            }
            return Ok(v.into_iter().map(|x| x != 0).collect());
        }
        let mut f = vec![false; rank];
        for a in ints(node, t)? {
            let d = norm_axis(node, a, rank)?;
            if d >= rank {
                return Err(node.err(format!("axis {a} is out of range for rank {rank}")));
            }
            if std::mem::replace(&mut f[d], true) {
                return Err(node.err(format!("axis {a} is given twice")));
            }
        }
        Ok(f)
    }
}

impl Op for Reverse {
    fn f16(&self) -> bool {
        true
    }
    fn int64(&self) -> bool {
        true
    }
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i == 1
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        Some(self.flags(node, &ins[1], ins[0].rank()).and_then(|f| {
            let (base, st) = reversed_view(ins[0].shape(), &f);
            let d = gather_data(ins[0].data(), strided_indices(ins[0].shape(), &st, base).into_iter());
            Ok(vec![Arc::new(Tensor::new(ins[0].dtype(), ins[0].shape().to_vec(), d)?)])
        }))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        self.flags(node, host(node, ins, 1)?, ins[0].shape.len())?;
        Ok(vec![TensorInfo::new(ins[0].dtype, ins[0].shape.clone())])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let t = ins[1].value.as_ref().ok_or_else(|| node.needs_values([1], "axes must be constant"))?;
        let f = self.flags(node, t, ins[0].rank())?;
        let (base, st) = reversed_view(&ins[0].shape, &f);
        strided_copy(cx, node, &ins[0], &outs[0], base, &st)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reversal_view() {
        let (base, st) = reversed_view(&[2, 3], &[false, true]);
        assert_eq!((base, st.clone()), (2, vec![3, -1]));
        assert_eq!(strided_indices(&[2, 3], &st, base), vec![2, 1, 0, 5, 4, 3]);
        let (base, st) = reversed_view(&[2, 3], &[true, true]);
        assert_eq!(strided_indices(&[2, 3], &st, base), vec![5, 4, 3, 2, 1, 0]);
    }
}
