//! Load-time graph rewrites for speed, producing an optimized copy of the graph:
//! - a zero `Pad` in front of a VALID convolution becomes the convolution's EXPLICIT padding;
//! - Conv2D / DepthwiseConv2dNative / MatMul with constant weights, followed by per-channel
//!   affine ops (BiasAdd, Add/Sub/Mul by constants, inference FusedBatchNorm, Keras' unfused
//!   batch norm) and an activation (Prelu with constant slopes included), become one
//!   `_FusedConv2D` / `_FusedDepthwiseConv2dNative` / `_FusedMatMul` node with folded weights
//!   and bias (one kernel with a bias+activation epilogue); fused nodes that only add a bias
//!   (as the TF.js converter writes them) extend the same way;
//! - a residual `AddV2` of a fused convolution without activation and another tensor of the same
//!   shape joins the epilogue (`fused_ops = ["BiasAdd", "Add"]`), with an activation after it.
//! The node that ends a fused chain keeps its name, so fetching it is unchanged; fetching a node
//! that was fused away makes the model plan with the original graph instead.
use std::collections::HashMap;
use std::sync::Arc;

use crate::graph::{Graph, Node, TensorRef};
use crate::ops::Registry;
use crate::proto::attr_value::{ListValue, Value};
use crate::proto::{AttrValue, TensorProto, TensorShapeProto};
use crate::tensor::{DType, Tensor};

/// Values known at load (from [`super::fold_constants`]).
pub type Values = HashMap<TensorRef, Arc<Tensor>>;

struct Uses {
    /// tensor -> number of data consumers (fetches not counted).
    count: HashMap<TensorRef, usize>,
    /// node -> its consumers (node index, input slot).
    by_node: HashMap<String, Vec<(usize, usize)>>,
}

fn uses(g: &Graph) -> Uses {
    let mut count: HashMap<TensorRef, usize> = HashMap::new();
    let mut by_node: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for (i, n) in g.nodes.iter().enumerate() {
        for (k, r) in n.inputs.iter().enumerate() {
            *count.entry(r.clone()).or_default() += 1;
            by_node.entry(r.node.clone()).or_default().push((i, k));
        }
        for c in &n.controls {
            // A control consumer pins the node: never fuse it away.
            *count.entry(TensorRef::new(c, usize::MAX)).or_default() += 1;
        }
    }
    Uses { count, by_node }
}

impl Uses {
    /// The single consumer of `name:0`, if `name` has exactly one data consumer in all and no
    /// control consumer.
    fn sole(&self, name: &str) -> Option<(usize, usize)> {
        let c = self.by_node.get(name)?;
        if c.len() != 1 || self.count.contains_key(&TensorRef::new(name, usize::MAX)) {
            return None;
        }
        Some(c[0])
    }
}

fn attr_list_s(v: &[&str]) -> AttrValue {
    AttrValue { value: Some(Value::List(ListValue { s: v.iter().map(|s| s.as_bytes().to_vec()).collect(), ..Default::default() })) }
}

fn const_node(name: &str, t: &Tensor) -> Node {
    let v = t.to_f32_vec().unwrap_or_default();
    let tp = TensorProto {
        dtype: DType::F32.to_tf(),
        tensor_shape: Some(TensorShapeProto {
            dim: t.shape().iter().map(|&d| crate::proto::tensor_shape_proto::Dim { size: d as i64, name: String::new() }).collect(),
            unknown_rank: false,
        }),
        tensor_content: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ..Default::default()
    };
    let mut attrs = std::collections::BTreeMap::new();
    attrs.insert("value".to_string(), AttrValue { value: Some(Value::Tensor(tp)) });
    attrs.insert("dtype".to_string(), AttrValue { value: Some(Value::Type(DType::F32.to_tf())) });
    Node { name: name.to_string(), op: "Const".into(), inputs: vec![], controls: vec![], attrs, device: String::new() }
}

/// A constant per-channel vector of `c` values (shape [c] or [1,…,1,c] or a scalar).
fn channel_vec(v: Option<&Arc<Tensor>>, c: usize) -> Option<Vec<f32>> {
    let t = v?;
    if !t.dtype().is_float() {
        return None;
    }
    let s = t.shape();
    let vals = t.to_f32_vec().ok()?;
    if vals.len() == 1 {
        return Some(vec![vals[0]; c]);
    }
    if vals.len() == c && s.last() == Some(&c) && s.iter().rev().skip(1).all(|&d| d == 1) {
        return Some(vals);
    }
    None
}

/// The other input of a binary node that consumes `cur` at `slot`.
fn other(n: &Node, slot: usize) -> Option<&TensorRef> {
    n.inputs.get(1 - slot.min(1))
}

/// Optimizes `graph` (constants known in `values`). Returns the rewritten graph.
pub fn optimize(graph: &Graph, values: &Values, registry: &Registry) -> Graph {
    let mut g = graph.clone();
    fold_pads(&mut g, values);
    if registry.contains("_FusedConv2D") {
        fuse_chains(&mut g, values, registry);
    }
    g
}

fn is_nhwc(n: &Node) -> bool {
    n.attr_string_or("data_format", "NHWC").map(|s| s == "NHWC").unwrap_or(false)
}

/// Pad(x, const) with zeros on H and W only, consumed only by a VALID NHWC convolution.
fn fold_pads(g: &mut Graph, values: &Values) {
    let u = uses(g);
    let mut remove = Vec::new();
    for i in 0..g.nodes.len() {
        let n = &g.nodes[i];
        if n.op != "Pad" || n.inputs.len() != 2 {
            continue;
        }
        let Some(p) = values.get(&n.inputs[1]).and_then(|t| t.to_i64_vec().ok()) else { continue };
        if p.len() != 8 || p[0] != 0 || p[1] != 0 || p[6] != 0 || p[7] != 0 || p.iter().any(|&x| x < 0) {
            continue;
        }
        let Some((ci, slot)) = u.sole(&n.name) else { continue };
        let c = &g.nodes[ci];
        if slot != 0 || !matches!(c.op.as_str(), "Conv2D" | "DepthwiseConv2dNative") || !is_nhwc(c) {
            continue;
        }
        if c.attr_string("padding").ok().as_deref() != Some("VALID") {
            continue;
        }
        let x = n.inputs[0].clone();
        let name = n.name.clone();
        let c = &mut g.nodes[ci];
        c.inputs[0] = x;
        c.attrs.insert("padding".into(), AttrValue { value: Some(Value::S(b"EXPLICIT".to_vec())) });
        c.attrs.insert(
            "explicit_paddings".into(),
            AttrValue { value: Some(Value::List(ListValue { i: p.clone(), ..Default::default() })) },
        );
        remove.push(name);
    }
    drop_nodes(g, &remove);
}

fn drop_nodes(g: &mut Graph, names: &[String]) {
    if names.is_empty() {
        return;
    }
    let set: std::collections::HashSet<&String> = names.iter().collect();
    g.nodes.retain(|n| !set.contains(&n.name));
    let _ = g.reindex();
}

const ACTS: &[&str] = &["Relu", "Relu6", "Elu", "LeakyRelu", "Sigmoid", "Tanh"];

fn fuse_chains(g: &mut Graph, values: &Values, registry: &Registry) {
    let u = uses(g);
    let mut new_nodes: Vec<(usize, Node, Vec<Node>)> = Vec::new(); // (replace index, fused, consts)
    let mut remove: Vec<String> = Vec::new();
    let mut claimed = std::collections::HashSet::new();
    // Nodes removed by a chain, and residual producers that must stay.
    let mut removed: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut pinned: std::collections::HashSet<String> = std::collections::HashSet::new();
    for i in 0..g.nodes.len() {
        let n = &g.nodes[i];
        let fused_op = match n.op.as_str() {
            "Conv2D" | "_FusedConv2D" if is_nhwc(n) => "_FusedConv2D",
            "DepthwiseConv2dNative" | "_FusedDepthwiseConv2dNative" | "FusedDepthwiseConv2dNative" if is_nhwc(n) => {
                "_FusedDepthwiseConv2dNative"
            }
            "MatMul" | "_FusedMatMul" => "_FusedMatMul",
            _ => continue,
        };
        // A fused node extends only when it adds a (constant) bias and nothing else.
        let fused_start = n.op != "Conv2D" && n.op != "DepthwiseConv2dNative" && n.op != "MatMul";
        let only_bias = |n: &Node| n.attr_opt_strings("fused_ops").ok().flatten().is_some_and(|v| v == ["BiasAdd"]);
        let want_inputs = if fused_start { 3 } else { 2 };
        if !registry.contains(fused_op) || n.inputs.len() != want_inputs || claimed.contains(&n.name) || (fused_start && !only_bias(n)) {
            continue;
        }
        let Some(w) = values.get(&n.inputs[1]) else { continue };
        if w.dtype() != DType::F32 {
            continue;
        }
        let ws = w.shape();
        let c = match fused_op {
            "_FusedConv2D" if ws.len() == 4 => ws[3],
            "_FusedDepthwiseConv2dNative" if ws.len() == 4 => ws[2] * ws[3],
            "_FusedMatMul" if ws.len() == 2 => {
                if n.attr_bool_or("transpose_b", false).unwrap_or(true) { ws[0] } else { ws[1] }
            }
            _ => continue,
        };
        // Walk the chain.
        let mut s = vec![1f32; c];
        let mut t = vec![0f32; c];
        if fused_start {
            match channel_vec(values.get(&n.inputs[2]), c) {
                Some(b) => t = b,
                None => continue,
            }
        }
        let mut slopes: Option<Vec<f32>> = None;
        let mut chain: Vec<usize> = vec![i];
        let mut cur = i;
        let mut act: Option<(String, Option<f32>)> = None;
        let mut residual: Option<TensorRef> = None;
        while let Some((ni, slot)) = u.sole(&g.nodes[cur].name) {
            let m = &g.nodes[ni];
            // A node another chain took (e.g. the residual add both branches of a block reach).
            if claimed.contains(&m.name) {
                break;
            }
            let cval = |r: Option<&TensorRef>| channel_vec(r.and_then(|r| values.get(r)), c);
            let ok = match m.op.as_str() {
                "BiasAdd" if slot == 0 && is_nhwc(m) && residual.is_none() => match cval(m.inputs.get(1)) {
                    Some(b) => {
                        t.iter_mut().zip(&b).for_each(|(t, b)| *t += b);
                        true
                    }
                    None => false,
                },
                "Add" | "AddV2" if residual.is_none() => match cval(other(m, slot)) {
                    Some(b) => {
                        t.iter_mut().zip(&b).for_each(|(t, b)| *t += b);
                        true
                    }
                    None => {
                        // A residual: the other input has the output's shape and is not a constant.
                        let o = other(m, slot).cloned();
                        match o {
                            Some(o) if !values.contains_key(&o) && fused_op != "_FusedMatMul" && !chain_contains(g, &chain, &o) && !removed.contains(&o.node) => {
                                residual = Some(o);
                                true
                            }
                            _ => false,
                        }
                    }
                },
                "Sub" if slot == 0 && residual.is_none() => match cval(m.inputs.get(1)) {
                    Some(b) => {
                        t.iter_mut().zip(&b).for_each(|(t, b)| *t -= b);
                        true
                    }
                    None => false,
                },
                "Mul" if residual.is_none() => match cval(other(m, slot)) {
                    Some(k) => {
                        for j in 0..c {
                            s[j] *= k[j];
                            t[j] *= k[j];
                        }
                        true
                    }
                    None => false,
                },
                "FusedBatchNorm" | "FusedBatchNormV2" | "FusedBatchNormV3"
                    if slot == 0 && is_nhwc(m) && residual.is_none() && !m.attr_bool_or("is_training", true).unwrap_or(true) =>
                {
                    let p: Option<Vec<Vec<f32>>> = (1..5).map(|k| cval(m.inputs.get(k))).collect();
                    match p {
                        Some(p) => {
                            let eps = m.attr_opt_float("epsilon").ok().flatten().unwrap_or(1e-3);
                            for j in 0..c {
                                let k = p[0][j] / (p[3][j] + eps).sqrt();
                                s[j] *= k;
                                t[j] = (t[j] - p[2][j]) * k + p[1][j];
                            }
                            true
                        }
                        None => false,
                    }
                }
                "Prelu" if slot == 0 => match cval(m.inputs.get(1)) {
                    Some(a) => {
                        slopes = Some(a);
                        act = Some(("Prelu".to_string(), None));
                        true
                    }
                    None => false,
                },
                op if ACTS.contains(&op) => {
                    let alpha = if op == "LeakyRelu" { Some(m.attr_opt_float("alpha").ok().flatten().unwrap_or(0.2)) } else { None };
                    act = Some((op.to_string(), alpha));
                    true
                }
                _ => false,
            };
            if !ok {
                break;
            }
            // Only output 0 of a multi-output op (batch norm) may be consumed.
            if g.nodes[ni].op.starts_with("FusedBatchNorm") && u.by_node.get(&g.nodes[ni].name).is_some_and(|v| v.len() > 1) {
                break;
            }
            chain.push(ni);
            cur = ni;
            if act.is_some() {
                break;
            }
        }
        // Swish as Keras writes it, `x * sigmoid(x)`: x has two consumers, so the walk stopped.
        if act.is_none() && residual.is_none() {
            if let Some(nodes) = swish_after(g, &u, values, &g.nodes[cur].name) {
                if nodes.iter().all(|&k| !claimed.contains(&g.nodes[k].name)) {
                    chain.extend(nodes);
                    act = Some(("Swish".to_string(), None));
                }
            }
        }
        // A batch norm consumed on its other outputs makes `sole` fail before; nothing else to do.
        if chain.len() == 1 {
            continue;
        }
        // Never remove a node that an earlier fused node reads as its residual.
        if chain[..chain.len() - 1].iter().any(|&k| pinned.contains(&g.nodes[k].name)) {
            continue;
        }
        let last = &g.nodes[*chain.last().unwrap()];
        let name = last.name.clone();
        // Fold the scale into the weights.
        let mut wv = match w.to_f32_vec() {
            Ok(v) => v,
            Err(_) => continue,
        };
        if s.iter().any(|&x| x != 1.0) {
            match fused_op {
                "_FusedMatMul" if n.attr_bool_or("transpose_b", false).unwrap_or(false) => {
                    let k = ws[1];
                    for (idx, x) in wv.iter_mut().enumerate() {
                        *x *= s[idx / k];
                    }
                }
                _ => {
                    for (idx, x) in wv.iter_mut().enumerate() {
                        *x *= s[idx % c];
                    }
                }
            }
        }
        let Ok(wt) = Tensor::from_f32(ws.to_vec(), wv) else { continue };
        let Ok(bt) = Tensor::from_f32(vec![c], t) else { continue };
        let wname = format!("{name}/_fused_weights");
        let bname = format!("{name}/_fused_bias");
        let sname = format!("{name}/_fused_slopes");
        if g.node(&wname).is_some() || g.node(&bname).is_some() || g.node(&sname).is_some() {
            continue;
        }
        let mut consts = vec![const_node(&wname, &wt), const_node(&bname, &bt)];
        let mut fused = n.clone();
        fused.name = name.clone();
        fused.op = fused_op.to_string();
        fused.inputs = vec![n.inputs[0].clone(), TensorRef::new(&wname, 0), TensorRef::new(&bname, 0)];
        let mut ops = vec!["BiasAdd"];
        if let Some(r) = &residual {
            fused.inputs.push(r.clone());
            ops.push("Add");
            pinned.insert(r.node.clone());
        }
        if let Some(sl) = slopes {
            let Ok(st) = Tensor::from_f32(vec![c], sl) else { continue };
            fused.inputs.push(TensorRef::new(&sname, 0));
            consts.push(const_node(&sname, &st));
        }
        if let Some((a, alpha)) = &act {
            ops.push(a.as_str());
            if let Some(al) = alpha {
                fused.attrs.insert("leakyrelu_alpha".into(), AttrValue { value: Some(Value::F(*al)) });
            }
        }
        fused.attrs.insert("fused_ops".into(), attr_list_s(&ops));
        fused.attrs.insert("num_args".into(), AttrValue { value: Some(Value::I(fused.inputs.len() as i64 - 2)) });
        fused.controls = chain.iter().flat_map(|&k| g.nodes[k].controls.clone()).collect();
        for &k in &chain {
            claimed.insert(g.nodes[k].name.clone());
            if g.nodes[k].name != name {
                remove.push(g.nodes[k].name.clone());
                removed.insert(g.nodes[k].name.clone());
            }
        }
        let idx = *chain.last().unwrap();
        new_nodes.push((idx, fused, consts));
    }
    for (idx, fused, consts) in new_nodes {
        g.nodes[idx] = fused;
        g.nodes.extend(consts);
    }
    drop_nodes(g, &remove);
}

/// Swish on output 0 of node `name`: `x * sigmoid(x)`, or as Keras 3 writes it,
/// `IdentityN(x * sigmoid(beta * x), x, beta)` with beta = 1 (a custom gradient) whose other
/// outputs nobody reads. The pattern's node indices in order (the last one's output is swish),
/// when they are x's only consumers.
fn swish_after(g: &Graph, u: &Uses, values: &Values, name: &str) -> Option<Vec<usize>> {
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

/// Whether `r` is produced by a node of the chain (a residual must come from elsewhere).
fn chain_contains(g: &Graph, chain: &[usize], r: &TensorRef) -> bool {
    chain.iter().any(|&k| g.nodes[k].name == r.node)
}
