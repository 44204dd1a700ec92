//! Activations that end a chain: those the fused kernels' epilogues apply (Prelu with constant
//! slopes among them), and Swish, a pattern of three or four nodes (a tail rule).
use super::chain::{Epilogue, Step};
use super::{Uses, Values};
use crate::graph::{Graph, TensorRef};

/// Element-wise activations the epilogue applies as they are (LeakyRelu with its alpha).
const ACTS: &[&str] = &["Relu", "Relu6", "Elu", "LeakyRelu", "Sigmoid", "Tanh"];

pub(super) fn activation(st: &Step, e: &mut Epilogue) -> bool {
    let op = st.m.op.as_str();
    if !ACTS.contains(&op) {
        return false;
    }
    let alpha = if op == "LeakyRelu" { Some(st.m.attr_opt_float("alpha").ok().flatten().unwrap_or(0.2)) } else { None };
    e.act = Some((op.to_string(), alpha));
    true
}

/// `Prelu(chain, slopes)` with constant per-channel slopes.
pub(super) fn prelu(st: &Step, e: &mut Epilogue) -> bool {
    if st.m.op != "Prelu" || st.slot != 0 {
        return false;
    }
    let Some(a) = st.channels(st.m.inputs.get(1), e.c) else { return false };
    e.slopes = Some(a);
    e.act = Some(("Prelu".to_string(), None));
    true
}

/// Swish on output 0 of node `name`: `x * sigmoid(x)`, or as Keras 3 writes it,
/// `IdentityN(x * sigmoid(beta * x), x, beta)` with beta = 1 (a custom gradient) whose other
/// outputs nobody reads. The pattern's node indices in order (the last one's output is swish),
/// when they are x's only consumers.
pub(super) fn swish_after(g: &Graph, u: &Uses, values: &Values, name: &str) -> Option<Vec<usize>> {
    let c = u.by_node.get(name)?;
    if u.count.contains_key(&TensorRef::new(name, usize::MAX)) {
        return None;
    }
    let x = TensorRef::new(name, 0);
    let out0 = |k: usize| TensorRef::new(&g.nodes[k].name, 0);
    let is_one = |r: &TensorRef| values.get(r).and_then(|t| t.to_f32_vec().ok()).is_some_and(|v| v == [1.0]);
    let mut nodes = Vec::new();
    // sigmoid(x), or sigmoid(1 * x)
    let sig = match c.iter().map(|&(k, _)| k).find(|&k| g.nodes[k].op == "Sigmoid" && g.nodes[k].inputs == [x.clone()]) {
        Some(k) => k,
        None => {
            let bm = c.iter().map(|&(k, _)| k).find(|&k| {
                let m = &g.nodes[k];
                m.op == "Mul" && m.inputs.len() == 2 && ((m.inputs[0] == x && is_one(&m.inputs[1])) || (m.inputs[1] == x && is_one(&m.inputs[0])))
            })?;
            let (k, _) = u.sole(&g.nodes[bm].name)?;
            if g.nodes[k].op != "Sigmoid" {
                return None;
            }
            nodes.push(bm);
            k
        }
    };
    nodes.push(sig);
    let (mul, _) = u.sole(&g.nodes[sig].name)?;
    let m = &g.nodes[mul];
    let s = out0(sig);
    let pair = m.inputs.len() == 2 && ((m.inputs[0] == x && m.inputs[1] == s) || (m.inputs[0] == s && m.inputs[1] == x));
    if m.op != "Mul" || !pair {
        return None;
    }
    nodes.push(mul);
    // Keras 3's IdentityN(swish, x, beta): only its output 0 may be read.
    if let Some(idn) = c.iter().map(|&(k, _)| k).find(|&k| g.nodes[k].op == "IdentityN") {
        let n = &g.nodes[idn];
        let others_unread = (1..n.inputs.len()).all(|o| !u.count.contains_key(&TensorRef::new(&n.name, o)));
        if n.inputs.first() != Some(&out0(mul)) || n.inputs.get(1) != Some(&x) || !others_unread || u.sole(&m.name).map(|c| c.0) != Some(idn) {
            return None;
        }
        nodes.push(idn);
    }
    // x feeds the pattern and nothing else.
    let inside = |k: usize| nodes.contains(&k);
    (c.iter().all(|&(k, _)| inside(k))).then_some(nodes)
}
