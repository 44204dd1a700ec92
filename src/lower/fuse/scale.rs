//! A constant factor after a float `Sum` (`Mul(Sum(x), c)`, possibly through a `Reshape`: how
//! jax2tf and Flax write a mean) moves into the sum, which multiplies before storing: one kernel
//! less, and under `--precision f16` the stored value is the mean, not a sum that may pass
//! 65,504. In f32 the result is the same (the sum rounded to f32, times c).
//!
//! The `Mul` keeps its name (it becomes the `Sum`, or the `Reshape` of a renamed `Sum`); the
//! nodes fused away are gone, so fetching them plans with the original graph.
use super::{drop_nodes, uses, Values};
use crate::graph::{Graph, TensorRef};
use crate::ops::reduce::reduce::SCALE_ATTR;
use crate::proto::attr_value::Value;
use crate::proto::AttrValue;

/// Whether `r` is output 0 of a float Sum with no factor yet.
fn float_sum(g: &Graph, r: &TensorRef) -> bool {
    g.node(&r.node).is_some_and(|n| {
        n.op == "Sum" && r.index == 0 && !n.attrs.contains_key(SCALE_ATTR) && n.attr_dtype("T").is_ok_and(|t| t.is_float())
    })
}

/// One rewrite: the Mul (node index), its Sum, the Reshape between them if any, the factor.
struct Fold {
    mul: usize,
    sum: usize,
    reshape: Option<usize>,
    factor: f32,
}

fn find(g: &Graph, values: &Values) -> Vec<Fold> {
    let u = uses(g);
    let mut found = Vec::new();
    for (i, n) in g.nodes.iter().enumerate() {
        if n.op != "Mul" || n.inputs.len() != 2 {
            continue;
        }
        // One input a scalar float constant, the other the sole use of a Sum (or of a Reshape
        // that is the Sum's sole use).
        // (A scalar: a factor of rank 1 or more could broadcast the product to a higher rank.)
        let Some(k) = (0..2).find(|&k| values.get(&n.inputs[k]).is_some_and(|t| t.rank() == 0 && t.dtype().is_float())) else { continue };
        let Some(&factor) = values[&n.inputs[k]].to_f32_vec().ok().as_ref().and_then(|v| v.first()) else { continue };
        let src = &n.inputs[1 - k];
        if values.contains_key(src) || src.index != 0 || u.sole(&src.node) != Some((i, 1 - k)) {
            continue;
        }
        let Some(si) = g.node_index(&src.node) else { continue };
        if float_sum(g, src) {
            found.push(Fold { mul: i, sum: si, reshape: None, factor });
            continue;
        }
        let r = &g.nodes[si];
        if r.op != "Reshape" || r.inputs.len() != 2 || !float_sum(g, &r.inputs[0]) || u.sole(&r.inputs[0].node) != Some((si, 0)) {
            continue;
        }
        let Some(sum) = g.node_index(&r.inputs[0].node) else { continue };
        found.push(Fold { mul: i, sum, reshape: Some(si), factor });
    }
    found
}

pub(super) fn fold_scales(g: &mut Graph, values: &Values) {
    let mut remove = Vec::new();
    for f in find(g, values) {
        let mul_name = g.nodes[f.mul].name.clone();
        let mut sum = g.nodes[f.sum].clone();
        sum.attrs.insert(SCALE_ATTR.into(), AttrValue { value: Some(Value::F(f.factor)) });
        match f.reshape {
            None => {
                // The Mul becomes the scaled Sum.
                remove.push(std::mem::replace(&mut sum.name, mul_name));
                g.nodes[f.mul] = sum;
            }
            Some(ri) => {
                // The Sum, renamed, scales; the Mul becomes the Reshape of it.
                sum.name = format!("{mul_name}/_wgtf_scaled_sum");
                let mut reshape = g.nodes[ri].clone();
                remove.push(std::mem::replace(&mut reshape.name, mul_name));
                reshape.inputs[0] = TensorRef::new(&sum.name, 0);
                g.nodes[f.sum] = sum;
                g.nodes[f.mul] = reshape;
            }
        }
    }
    drop_nodes(g, &remove);
}
