//! Select (condition scalar, of the values' shape, or a vector over dim 0) and SelectV2
//! (NumPy broadcasting of all three inputs): one ternary kernel that copies 32-bit words.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::codes::TernaryOp;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant};
use crate::kernel::meta::{dims, w as word, TernaryMeta};
use crate::ops::util::{broadcast_shapes, broadcast_strides, check_rank, gather_data, strided_indices, strides};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{DType, Data, Tensor};

/// `v2`: SelectV2 (broadcasting); else Select.
pub struct Select {
    pub v2: bool,
}

/// Output shape and the strides of (condition, x, y) over it.
pub fn select_layout(node: &Node, v2: bool, c: &[usize], x: &[usize], y: &[usize]) -> Result<(Vec<usize>, [Vec<usize>; 3])> {
    if v2 {
        let out = broadcast_shapes(c, x)
            .and_then(|s| broadcast_shapes(&s, y))
            .ok_or_else(|| node.err(format!("shapes {c:?}, {x:?} and {y:?} do not broadcast")))?;
        let st = [broadcast_strides(c, &out), broadcast_strides(x, &out), broadcast_strides(y, &out)];
        return Ok((out, st));
    }
    if x != y {
        return Err(node.err(format!("x and y must have the same shape, got {x:?} and {y:?}")));
    }
    let out = x.to_vec();
    let cs = if c == x || c.is_empty() {
        broadcast_strides(c, &out)
    } else if c.len() == 1 && !x.is_empty() && c[0] == x[0] {
        let mut s = vec![0; out.len()];
        s[0] = 1;
        s
    } else {
        return Err(node.err(format!("condition of shape {c:?} must be a scalar, have the shape {x:?}, or be a vector over its first dim")));
    };
    Ok((out.clone(), [cs, strides(&out), strides(&out)]))
}

/// Emits the ternary kernel: `code` 0 selects, 1 clips; `ty` is the WGSL type of the values.
#[allow(clippy::too_many_arguments)]
pub fn ternary_kernel(cx: &mut Lower, node: &Node, code: TernaryOp, ty: &'static str, ops: [&Operand; 3], st: &[Vec<usize>; 3], out: &Operand) -> Result<()> {
    // 64-bit values are selected as two words: a trailing dim of 2 (the condition's stride 0).
    let w = crate::ops::util::words(out);
    let mut shape = out.shape.clone();
    let mut st = st.clone();
    if w > 1 {
        shape.push(w);
        st[0].push(0);
        for s in &mut st[1..] {
            s.iter_mut().for_each(|x| *x *= w);
            s.push(1);
        }
    }
    check_rank(node, &shape)?;
    let n: usize = shape.iter().product();
    let mut flags = 0u32;
    for (k, o) in ops.iter().enumerate() {
        if o.elements() * crate::ops::util::words(o) == n {
            flags |= 1 << k;
        }
    }
    let meta = Meta::from(TernaryMeta { n: word(n), rank: word(shape.len()), flags, shape: dims(&shape, 1), sa: dims(&st[0], 0), sb: dims(&st[1], 0), sc: dims(&st[2], 0), ..Default::default() });
    let v = ShaderVariant::new(&shaders::TERNARY).ty("T", ty).set("OP", code.code() as i64);
    cx.kernel(v, grid(n, 256), meta, vec![Binding::In(ops[0].id), Binding::In(ops[1].id), Binding::In(ops[2].id), Binding::Out(out.id)]);
    Ok(())
}

/// The values of `a` followed by those of `b` (same host class).
pub fn concat_data(a: &Data, b: &Data) -> Option<Data> {
    Some(match (a, b) {
        (Data::F32(x), Data::F32(y)) => Data::F32([x.as_slice(), y].concat()),
        (Data::F64(x), Data::F64(y)) => Data::F64([x.as_slice(), y].concat()),
        (Data::I32(x), Data::I32(y)) => Data::I32([x.as_slice(), y].concat()),
        (Data::I64(x), Data::I64(y)) => Data::I64([x.as_slice(), y].concat()),
        (Data::Bool(x), Data::Bool(y)) => Data::Bool([x.as_slice(), y].concat()),
        _ => return None,
    })
}

fn as_i64(st: &[usize]) -> Vec<i64> {
    st.iter().map(|&s| s as i64).collect()
}

impl Op for Select {
    fn int64(&self) -> bool {
        true
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        let (c, x, y) = (&ins[0], &ins[1], &ins[2]);
        if x.len() > 1 << 20 || x.dtype() != y.dtype() {
            return None;
        }
        Some((|| {
            let (out, st) = select_layout(node, self.v2, c.shape(), x.shape(), y.shape())?;
            let cv = c.to_f64_vec()?;
            let ci = strided_indices(&out, &as_i64(&st[0]), 0);
            let xi = strided_indices(&out, &as_i64(&st[1]), 0);
            let yi = strided_indices(&out, &as_i64(&st[2]), 0);
            let both = concat_data(x.data(), y.data()).ok_or_else(|| node.err("x and y differ in type"))?;
            let idx = (0..ci.len()).map(|k| if cv[ci[k]] != 0.0 { xi[k] } else { x.len() + yi[k] });
            Ok(vec![Arc::new(Tensor::new(x.dtype(), out, gather_data(&both, idx))?)])
        })())
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 3)?;
        if ins[0].dtype != DType::Bool {
            return Err(node.err(format!("condition must be bool, got {}", ins[0].dtype)));
        }
        if ins[1].dtype != ins[2].dtype {
            return Err(node.err(format!("x and y have different types: {} and {}", ins[1].dtype, ins[2].dtype)));
        }
        let (out, _) = select_layout(node, self.v2, &ins[0].shape, &ins[1].shape, &ins[2].shape)?;
        Ok(vec![TensorInfo::new(ins[1].dtype, out)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let (_, st) = select_layout(node, self.v2, &ins[0].shape, &ins[1].shape, &ins[2].shape)?;
        ternary_kernel(cx, node, TernaryOp::Select, "u32", [&ins[0], &ins[1], &ins[2]], &st, &outs[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> Node {
        Node { name: "s".into(), op: "Select".into(), inputs: vec![], controls: vec![], attrs: Default::default(), device: String::new() }
    }

    #[test]
    fn select_v1_vector_condition_walks_dim0() {
        let (out, st) = select_layout(&node(), false, &[2], &[2, 3], &[2, 3]).unwrap();
        assert_eq!(out, vec![2, 3]);
        assert_eq!(st[0], vec![1, 0]);
        assert!(select_layout(&node(), false, &[3], &[2, 3], &[2, 3]).is_err());
        assert!(select_layout(&node(), false, &[2, 3], &[2, 3], &[3]).is_err());
    }

    #[test]
    fn select_v2_broadcasts_all_three() {
        let (out, st) = select_layout(&node(), true, &[4], &[2, 3, 4], &[]).unwrap();
        assert_eq!(out, vec![2, 3, 4]);
        assert_eq!(st[0], vec![0, 0, 1]);
        assert_eq!(st[2], vec![0, 0, 0]);
    }

    #[test]
    fn fold_picks_per_element() {
        let c = Arc::new(Tensor::from_bool(vec![2], vec![true, false]).unwrap());
        let x = Arc::new(Tensor::from_i32(vec![2, 2], vec![1, 2, 3, 4]).unwrap());
        let y = Arc::new(Tensor::from_i32(vec![2, 2], vec![5, 6, 7, 8]).unwrap());
        let r = Select { v2: false }.fold(&node(), &[c, x, y]).unwrap().unwrap();
        assert_eq!(r[0].to_i64_vec().unwrap(), vec![1, 2, 7, 8]);
    }
}
