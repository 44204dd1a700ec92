//! InvertPermutation(x): y[x[i]] = i for a permutation x of 0..n (an index computation, folded
//! when planning).
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::util::{ints, tensor_from_i64};
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

pub struct InvertPermutation;

/// The inverse of a permutation, or the first entry that breaks it.
pub fn invert(p: &[i64]) -> std::result::Result<Vec<i64>, i64> {
    let mut out = vec![-1i64; p.len()];
    for (i, &x) in p.iter().enumerate() {
        let Some(slot) = usize::try_from(x).ok().and_then(|x| out.get_mut(x)) else { return Err(x) };
        if *slot != -1 {
            return Err(x);
        }
        *slot = i as i64;
    }
    Ok(out)
}

fn compute(node: &Node, x: &Tensor) -> Result<Tensor> {
    if x.rank() != 1 {
        return Err(node.err(format!("takes a vector, got shape {:?}", x.shape())));
    }
    let y = invert(&ints(node, x)?).map_err(|v| node.err(format!("{v} breaks the permutation")))?;
    tensor_from_i64(x.dtype(), x.shape().to_vec(), y)
}

impl Op for InvertPermutation {
    fn is_host_input(&self, _node: &Node, _i: usize) -> bool {
        true
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        Some(compute(node, &ins[0]).map(|t| vec![Arc::new(t)]))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        let x = ins[0].value.as_ref().ok_or_else(|| node.needs_values([0], "the permutation must be known when planning"))?;
        Ok(vec![TensorInfo::known(Arc::new(compute(node, x)?))])
    }
    fn lower(&self, node: &Node, _cx: &mut Lower, _ins: &[Operand], _outs: &[Operand]) -> Result<()> {
        Err(node.err("internal: InvertPermutation is always computed when planning"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverts_and_rejects_non_permutations() {
        assert_eq!(invert(&[2, 0, 1]), Ok(vec![1, 2, 0]));
        assert_eq!(invert(&[0, 0]), Err(0));
        assert_eq!(invert(&[0, 5]), Err(5));
        assert_eq!(invert(&[-1]), Err(-1));
    }
}
