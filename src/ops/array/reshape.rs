//! Reshape, Squeeze, ExpandDims: the same buffer with another shape (views, no copy).
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::util::{host, ints, norm_axis};
use crate::ops::{Op, TensorInfo};
use crate::tensor::{num_elements, Tensor};

/// How a view op computes its new shape.
pub enum Kind {
    Reshape,
    /// Its `squeeze_dims` (or `axis`), decoded when the model is loaded ([`View::squeeze`]).
    Squeeze(Vec<i64>),
    ExpandDims,
}

pub struct View(pub Kind);

impl View {
    /// A Squeeze node's op, its dims decoded.
    pub fn squeeze(node: &Node) -> Result<View> {
        Ok(View(Kind::Squeeze(node.attr_opt_ints("squeeze_dims")?.or(node.attr_opt_ints("axis")?).unwrap_or_default())))
    }
}

fn new_shape(kind: &Kind, node: &Node, ins: &[TensorInfo]) -> Result<Vec<usize>> {
    let s = &ins[0].shape;
    match kind {
        Kind::Reshape => {
            crate::ops::util::arity(node, ins.len(), 2)?;
            let want = ints(node, host(node, ins, 1)?)?;
            let total = num_elements(s)?;
            let mut unknown = None;
            let mut known = 1usize;
            let mut out = Vec::with_capacity(want.len());
            for (i, &d) in want.iter().enumerate() {
                if d == -1 {
                    if unknown.replace(i).is_some() {
                        return Err(node.err("more than one -1 in the shape"));
                    }
                    out.push(0);
                } else if d < 0 {
                    return Err(node.err(format!("invalid dimension {d}")));
                } else {
                    known = known.checked_mul(d as usize).ok_or_else(|| node.err("shape overflows"))?;
                    out.push(d as usize);
                }
            }
            if let Some(i) = unknown {
                if known == 0 || total % known != 0 {
                    return Err(node.err(format!("cannot reshape {s:?} into {want:?}")));
                }
                out[i] = total / known;
            } else if known != total {
                return Err(node.err(format!("cannot reshape {s:?} ({total} elements) into {want:?}")));
            }
            Ok(out)
        }
        Kind::Squeeze(dims) => {
            if dims.is_empty() {
                return Ok(s.iter().copied().filter(|&d| d != 1).collect());
            }
            let axes = dims.iter().map(|&a| norm_axis(node, a, s.len())).collect::<Result<Vec<_>>>()?;
            for &a in &axes {
                if s[a] != 1 {
                    return Err(node.err(format!("cannot squeeze dim {a} of size {} in {s:?}", s[a])));
                }
            }
            Ok(s.iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &d)| d).collect())
        }
        Kind::ExpandDims => {
            crate::ops::util::arity(node, ins.len(), 2)?;
            let a = ints(node, host(node, ins, 1)?)?;
            let &[a] = a.as_slice() else { return Err(node.err("dim must be a scalar")) };
            let axis = norm_axis(node, a, s.len() + 1)?;
            let mut out = s.clone();
            out.insert(axis, 1);
            Ok(out)
        }
    }
}

impl Op for View {
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
        let infos: Vec<TensorInfo> = ins.iter().map(|t| TensorInfo::known(t.clone())).collect();
        Some(new_shape(&self.0, node, &infos).and_then(|s| Ok(vec![Arc::new((*ins[0]).clone().reshape(s)?)])))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, new_shape(&self.0, node, ins)?)])
    }
    fn lower(&self, _node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        cx.alias(&outs[0], &ins[0]);
        Ok(())
    }
}
