//! Fused chains: a node with constant weights (Conv2D, DepthwiseConv2dNative, MatMul, or a fused
//! node that only adds a bias) and the nodes after it that the rules absorb become one fused
//! node, its per-channel scale folded into the weights. The driver here walks each chain to its
//! end (no rule takes the next node, or an activation was taken); what a pattern means lives in
//! its rule ([`RULES`], [`TAILS`]).
use std::collections::HashSet;

use super::{activation, affine, attr_list_s, channel_vec, const_node, drop_nodes, is_nhwc, residual, uses, Uses, Values};
use crate::graph::{Graph, Node, TensorRef};
use crate::ops::Registry;
use crate::proto::attr_value::Value;
use crate::proto::AttrValue;
use crate::tensor::{DType, Tensor};

/// What a chain has gathered, per output channel: `y = act(x·s + t [+ residual])`.
pub(super) struct Epilogue {
    /// Output channels.
    pub c: usize,
    /// Scale (folded into the weights) and shift (the fused bias).
    pub s: Vec<f32>,
    pub t: Vec<f32>,
    /// Prelu's slopes.
    pub slopes: Option<Vec<f32>>,
    /// The activation (its `fused_ops` name, LeakyRelu's alpha); taking one ends the chain.
    pub act: Option<(String, Option<f32>)>,
    /// The tensor a residual add adds.
    pub residual: Option<TensorRef>,
}

/// The node a chain may absorb next: `m`, reading the chain's output at input `slot`.
pub(super) struct Step<'a> {
    pub g: &'a Graph,
    pub m: &'a Node,
    pub slot: usize,
    pub values: &'a Values,
    pub uses: &'a Uses,
    /// The fused op the chain becomes.
    pub fused_op: &'static str,
    /// The chain so far (node indices), and the nodes that earlier chains removed.
    pub chain: &'a [usize],
    pub removed: &'a HashSet<String>,
}

impl Step<'_> {
    /// The tensor `r` as a constant per-channel vector of `c` values.
    pub fn channels(&self, r: Option<&TensorRef>, c: usize) -> Option<Vec<f32>> {
        channel_vec(r.and_then(|r| self.values.get(r)), c)
    }
}

/// A rule: takes `step.m` into the epilogue (true), or leaves the epilogue as it is (false).
pub(super) type Absorb = fn(&Step, &mut Epilogue) -> bool;

/// The absorb rules, tried in order on each next node of a chain.
pub(super) const RULES: &[Absorb] = &[
    affine::bias_add,
    affine::add_constant,
    residual::residual_add,
    affine::sub_constant,
    affine::mul_constant,
    affine::batch_norm,
    activation::prelu,
    activation::activation,
];

/// A tail rule: a pattern after a chain without activation or residual that a walk of sole
/// consumers cannot see (its node indices, in order, the last one's output the result), and
/// the activation it is.
pub(super) type Tail = fn(&Graph, &Uses, &Values, &str) -> Option<Vec<usize>>;

pub(super) const TAILS: &[(Tail, &str)] = &[(activation::swish_after, "Swish")];

/// The fused op a node starts a chain of, and whether it is a fused node already (which
/// extends only when it just adds a bias).
fn start(n: &Node) -> Option<(&'static str, bool)> {
    let fused_op = match n.op.as_str() {
        "Conv2D" | "_FusedConv2D" if is_nhwc(n) => "_FusedConv2D",
        "DepthwiseConv2dNative" | "_FusedDepthwiseConv2dNative" | "FusedDepthwiseConv2dNative" if is_nhwc(n) => {
            "_FusedDepthwiseConv2dNative"
        }
        "MatMul" | "_FusedMatMul" => "_FusedMatMul",
        _ => return None,
    };
    Some((fused_op, n.op != "Conv2D" && n.op != "DepthwiseConv2dNative" && n.op != "MatMul"))
}

pub(super) fn fuse_chains(g: &mut Graph, values: &Values, registry: &Registry) {
    let u = uses(g);
    let mut new_nodes: Vec<(usize, Node, Vec<Node>)> = Vec::new(); // (replace index, fused, consts)
    let mut remove: Vec<String> = Vec::new();
    let mut claimed = HashSet::new();
    // Nodes removed by a chain, and residual producers that must stay.
    let mut removed: HashSet<String> = HashSet::new();
    let mut pinned: HashSet<String> = HashSet::new();
    for i in 0..g.nodes.len() {
        let n = &g.nodes[i];
        let Some((fused_op, fused_start)) = start(n) else { continue };
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
        let mut e = Epilogue { c, s: vec![1f32; c], t: vec![0f32; c], slopes: None, act: None, residual: None };
        if fused_start {
            match channel_vec(values.get(&n.inputs[2]), c) {
                Some(b) => e.t = b,
                None => continue,
            }
        }
        // Walk the chain: the sole consumer, while a rule takes it.
        let mut chain: Vec<usize> = vec![i];
        let mut cur = i;
        while let Some((ni, slot)) = u.sole(&g.nodes[cur].name) {
            let m = &g.nodes[ni];
            // A node another chain took (e.g. the residual add both branches of a block reach).
            if claimed.contains(&m.name) {
                break;
            }
            let step = Step { g, m, slot, values, uses: &u, fused_op, chain: &chain, removed: &removed };
            if !RULES.iter().any(|rule| rule(&step, &mut e)) {
                break;
            }
            chain.push(ni);
            cur = ni;
            if e.act.is_some() {
                break;
            }
        }
        if e.act.is_none() && e.residual.is_none() {
            for (tail, act) in TAILS {
                if let Some(nodes) = tail(g, &u, values, &g.nodes[cur].name) {
                    if nodes.iter().all(|&k| !claimed.contains(&g.nodes[k].name)) {
                        chain.extend(nodes);
                        e.act = Some((act.to_string(), None));
                        break;
                    }
                }
            }
        }
        if chain.len() == 1 {
            continue;
        }
        // Never remove a node that an earlier fused node reads as its residual.
        if chain[..chain.len() - 1].iter().any(|&k| pinned.contains(&g.nodes[k].name)) {
            continue;
        }
        let name = g.nodes[*chain.last().unwrap()].name.clone();
        let residual = e.residual.clone();
        let Some((fused, consts)) = fused_node(g, n, fused_op, w, &name, e, &chain) else { continue };
        if let Some(r) = residual {
            pinned.insert(r.node);
        }
        for &k in &chain {
            claimed.insert(g.nodes[k].name.clone());
            if g.nodes[k].name != name {
                remove.push(g.nodes[k].name.clone());
                removed.insert(g.nodes[k].name.clone());
            }
        }
        new_nodes.push((*chain.last().unwrap(), fused, consts));
    }
    for (idx, fused, consts) in new_nodes {
        g.nodes[idx] = fused;
        g.nodes.extend(consts);
    }
    drop_nodes(g, &remove);
}

/// The fused node that replaces a chain (named `name`, its last node's name) and its new
/// constants (folded weights, bias, slopes); `None` when it cannot be built.
fn fused_node(g: &Graph, n: &Node, fused_op: &str, w: &Tensor, name: &str, e: Epilogue, chain: &[usize]) -> Option<(Node, Vec<Node>)> {
    let (ws, c) = (w.shape(), e.c);
    // Fold the scale into the weights.
    let mut wv = w.to_f32_vec().ok()?;
    if e.s.iter().any(|&x| x != 1.0) {
        match fused_op {
            "_FusedMatMul" if n.attr_bool_or("transpose_b", false).unwrap_or(false) => {
                let k = ws[1];
                for (idx, x) in wv.iter_mut().enumerate() {
                    *x *= e.s[idx / k];
                }
            }
            _ => {
                for (idx, x) in wv.iter_mut().enumerate() {
                    *x *= e.s[idx % c];
                }
            }
        }
    }
    let wt = Tensor::from_f32(ws.to_vec(), wv).ok()?;
    let bt = Tensor::from_f32(vec![c], e.t).ok()?;
    let wname = format!("{name}/_fused_weights");
    let bname = format!("{name}/_fused_bias");
    let sname = format!("{name}/_fused_slopes");
    if g.node(&wname).is_some() || g.node(&bname).is_some() || g.node(&sname).is_some() {
        return None;
    }
    let mut consts = vec![const_node(&wname, &wt), const_node(&bname, &bt)];
    let mut fused = n.clone();
    fused.name = name.to_string();
    fused.op = fused_op.to_string();
    fused.inputs = vec![n.inputs[0].clone(), TensorRef::new(&wname, 0), TensorRef::new(&bname, 0)];
    let mut ops = vec!["BiasAdd"];
    if let Some(r) = &e.residual {
        fused.inputs.push(r.clone());
        ops.push("Add");
    }
    if let Some(sl) = e.slopes {
        let st = Tensor::from_f32(vec![c], sl).ok()?;
        fused.inputs.push(TensorRef::new(&sname, 0));
        consts.push(const_node(&sname, &st));
    }
    if let Some((a, alpha)) = &e.act {
        ops.push(a.as_str());
        if let Some(al) = alpha {
            fused.attrs.insert("leakyrelu_alpha".into(), AttrValue { value: Some(Value::F(*al)) });
        }
    }
    fused.attrs.insert("fused_ops".into(), attr_list_s(&ops));
    fused.attrs.insert("num_args".into(), AttrValue { value: Some(Value::I(fused.inputs.len() as i64 - 2)) });
    fused.controls = chain.iter().flat_map(|&k| g.nodes[k].controls.clone()).collect();
    Some((fused, consts))
}
