//! TF1 loop frames → While loops. A TF1 loop (`tf.compat.v1.while_loop`, `dynamic_rnn`, or a
//! TF2 While lowered with `lower_control_flow=True`) is a cycle in the graph:
//!
//! ```text
//! Enter(init) → Merge ← NextIteration ← (body) ← Identity ← Switch:1
//!                 ↓                                            ↑
//!               (cond) → LoopCond ─────────────────────────→ Switch → Exit (Switch:0)
//! ```
//!
//! At load, each frame (innermost first) becomes a `While` node whose cond and body are
//! functions built from the frame's nodes: arguments are the loop variables (the Merges), the
//! loop invariants (other Enters) and any outside tensor the frame reads directly; the body
//! returns the NextIteration inputs. Each `Exit` becomes an `Identity` of the While's output, so
//! the rest of the graph is unchanged. The planner then runs it like any While loop.
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::graph::function::{Function, ARG_OP};
use crate::graph::{Graph, Node, TensorRef};
use crate::proto::{attr_value::Value, AttrValue, NameAttrList};

fn is(op: &str, base: &str) -> bool {
    op == base || (op.starts_with("Ref") && &op[3..] == base)
}

struct Frame {
    name: String,
    parent: usize,
    depth: usize,
}

/// Converts every TF1 loop frame of the graph into a While node. Returns how many.
pub fn convert_frames(graph: &mut Graph) -> Result<usize> {
    if !graph.nodes.iter().any(|n| is(&n.op, "Enter")) {
        return Ok(0);
    }
    let (frames, mut frame_of) = assign_frames(graph)?;
    let mut order: Vec<usize> = (1..frames.len()).collect();
    order.sort_by_key(|&f| std::cmp::Reverse(frames[f].depth));
    let mut nodes: BTreeMap<String, Node> = graph.nodes.iter().map(|n| (n.name.clone(), n.clone())).collect();
    // Node order of the file, for stable output; new nodes go at the end.
    let mut file_order: Vec<String> = graph.nodes.iter().map(|n| n.name.clone()).collect();
    let mut count = 0;
    for f in order {
        convert_one(graph, &frames, f, &mut nodes, &mut frame_of, &mut file_order)?;
        count += 1;
    }
    let mut out = Vec::with_capacity(nodes.len());
    for name in &file_order {
        if let Some(n) = nodes.remove(name) {
            out.push(n);
        }
    }
    graph.nodes = out;
    graph.reindex()?;
    graph.check_inputs()?;
    Ok(count)
}

/// The frame of every node: Enter opens its `frame_name` frame, Exit returns to the parent,
/// other nodes are in the deepest frame of their inputs. Back edges (NextIteration → Merge)
/// are skipped to order the nodes.
fn assign_frames(graph: &Graph) -> Result<(Vec<Frame>, HashMap<String, usize>)> {
    let n = graph.nodes.len();
    let idx = |name: &str| graph.node_index(name);
    let preds = |i: usize| -> Vec<usize> {
        let node = &graph.nodes[i];
        node.inputs
            .iter()
            .map(|r| r.node.as_str())
            .chain(node.controls.iter().map(|c| c.as_str()))
            .filter_map(idx)
            .filter(|&p| !is(&graph.nodes[p].op, "NextIteration"))
            .collect()
    };
    let mut indeg = vec![0usize; n];
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        for p in preds(i) {
            indeg[i] += 1;
            succ[p].push(i);
        }
    }
    let mut queue: VecDeque<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
    let mut topo = Vec::with_capacity(n);
    while let Some(i) = queue.pop_front() {
        topo.push(i);
        for &s in &succ[i] {
            indeg[s] -= 1;
            if indeg[s] == 0 {
                queue.push_back(s);
            }
        }
    }
    if topo.len() != n {
        let stuck = (0..n).find(|&i| indeg[i] > 0).map(|i| graph.nodes[i].name.clone()).unwrap_or_default();
        return Err(Error::InvalidModel(format!(
            "the graph has a cycle through '{stuck}' that is not a TF1 loop (Enter/Merge/NextIteration)"
        )));
    }
    let mut frames = vec![Frame { name: String::new(), parent: 0, depth: 0 }];
    let mut by_key: HashMap<(usize, String), usize> = HashMap::new();
    let mut frame = vec![0usize; n];
    for &i in &topo {
        let node = &graph.nodes[i];
        // The deepest frame among the inputs (frames nest, so depth orders them).
        let mut f_in = 0usize;
        for p in preds(i) {
            if frames[frame[p]].depth > frames[f_in].depth {
                f_in = frame[p];
            }
        }
        frame[i] = if is(&node.op, "Enter") {
            let name = node.attr_string("frame_name")?;
            let key = (f_in, name.clone());
            match by_key.get(&key) {
                Some(&f) => f,
                None => {
                    frames.push(Frame { name, parent: f_in, depth: frames[f_in].depth + 1 });
                    by_key.insert(key, frames.len() - 1);
                    frames.len() - 1
                }
            }
        } else if is(&node.op, "Exit") {
            if f_in == 0 {
                return Err(node.err("an Exit outside any loop frame"));
            }
            frames[f_in].parent
        } else {
            f_in
        };
    }
    if frames.len() > 10_000 {
        return Err(Error::InvalidModel(format!("{} loop frames", frames.len())));
    }
    let map = (0..n).map(|i| (graph.nodes[i].name.clone(), frame[i])).collect();
    Ok((frames, map))
}

fn func_attr(name: &str) -> AttrValue {
    AttrValue { value: Some(Value::Func(NameAttrList { name: name.to_string(), attr: Default::default() })) }
}

fn fresh(taken: &dyn Fn(&str) -> bool, base: &str) -> String {
    if !taken(base) {
        return base.to_string();
    }
    (1..).map(|k| format!("{base}_{k}")).find(|n| !taken(n)).expect("a free name")
}

fn convert_one(
    graph: &mut Graph,
    frames: &[Frame],
    f: usize,
    nodes: &mut BTreeMap<String, Node>,
    frame_of: &mut HashMap<String, usize>,
    file_order: &mut Vec<String>,
) -> Result<()> {
    let fname = frames[f].name.clone();
    let ferr = |msg: String| Error::InvalidModel(format!("TF1 loop frame '{fname}': {msg}"));
    let members: HashSet<String> = frame_of.iter().filter(|(_, &x)| x == f).map(|(n, _)| n.clone()).collect();
    let of_op = |op: &str| -> Vec<&Node> {
        let mut v: Vec<&Node> = members.iter().filter_map(|n| nodes.get(n)).filter(|n| is(&n.op, op)).collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    };
    let loop_conds = of_op("LoopCond");
    let [lc] = loop_conds.as_slice() else {
        return Err(ferr(format!("{} LoopCond nodes (expected one)", loop_conds.len())));
    };
    let lc = (*lc).clone();
    let pred_ref = lc.inputs.first().cloned().ok_or_else(|| lc.err("no input"))?;

    // Loop variables: Merge(Enter, NextIteration).
    struct Var {
        merge: String,
        init: TensorRef,
        next: TensorRef,
        switch: Option<String>,
    }
    let mut vars: Vec<Var> = Vec::new();
    let mut var_enters = HashSet::new();
    for m in of_op("Merge") {
        if m.inputs.len() != 2 {
            continue;
        }
        let kinds: Vec<Option<&Node>> = m.inputs.iter().map(|r| nodes.get(&r.node)).collect();
        let (ei, ni) = match (kinds[0].map(|n| n.op.as_str()), kinds[1].map(|n| n.op.as_str())) {
            (Some(a), Some(b)) if is(a, "Enter") && is(b, "NextIteration") => (0, 1),
            (Some(a), Some(b)) if is(a, "NextIteration") && is(b, "Enter") => (1, 0),
            _ => continue, // a conditional's Merge inside the body
        };
        let enter = kinds[ei].expect("checked");
        let next = kinds[ni].expect("checked");
        let init = enter.inputs.first().cloned().ok_or_else(|| enter.err("no input"))?;
        let next_in = next.inputs.first().cloned().ok_or_else(|| next.err("no input"))?;
        var_enters.insert(enter.name.clone());
        vars.push(Var { merge: m.name.clone(), init, next: next_in, switch: None });
    }
    for s in of_op("Switch") {
        if s.inputs.len() == 2 && s.inputs[1].node == lc.name {
            if let Some(v) = vars.iter_mut().find(|v| s.inputs[0] == TensorRef::new(&v.merge, 0)) {
                v.switch = Some(s.name.clone());
            }
        }
    }
    // Loop invariants: the other Enters.
    let invariants: Vec<(String, TensorRef)> = of_op("Enter")
        .into_iter()
        .filter(|e| !var_enters.contains(&e.name))
        .map(|e| Ok((e.name.clone(), e.inputs.first().cloned().ok_or_else(|| e.err("no input"))?)))
        .collect::<Result<_>>()?;

    // What each function argument stands for inside the frame.
    let nargs = vars.len() + invariants.len();
    let mut cond_map: HashMap<TensorRef, usize> = HashMap::new();
    let mut body_map: HashMap<TensorRef, usize> = HashMap::new();
    for (i, v) in vars.iter().enumerate() {
        cond_map.insert(TensorRef::new(&v.merge, 0), i);
        body_map.insert(TensorRef::new(&v.merge, 0), i);
        if let Some(s) = &v.switch {
            body_map.insert(TensorRef::new(s, 1), i);
        }
    }
    for (k, (e, _)) in invariants.iter().enumerate() {
        cond_map.insert(TensorRef::new(e, 0), vars.len() + k);
        body_map.insert(TensorRef::new(e, 0), vars.len() + k);
    }
    // Tensors from outside the frame read directly: extra invariant arguments.
    let mut captures: Vec<TensorRef> = Vec::new();
    let cond_nodes = collect(&fname, nodes, &members, &[pred_ref.clone()], &mut cond_map, nargs, &mut captures)?;
    let next_refs: Vec<TensorRef> = vars.iter().map(|v| v.next.clone()).collect();
    let body_nodes = collect(&fname, nodes, &members, &next_refs, &mut body_map, nargs, &mut captures)?;
    let total = nargs + captures.len();
    for (k, c) in captures.iter().enumerate() {
        cond_map.entry(c.clone()).or_insert(nargs + k);
        body_map.entry(c.clone()).or_insert(nargs + k);
    }

    let taken = |n: &str| nodes.contains_key(n) || graph.functions.contains_key(n);
    let base = fname.trim_end_matches("/while_context").to_string();
    let while_name = fresh(&taken, &format!("{base}/wgtf_while"));
    let arg_names: Vec<String> = (0..total).map(|k| format!("{while_name}/arg{k}")).collect();
    let cond_name = fresh(&taken, &format!("{base}_cond"));
    let body_name = fresh(&taken, &format!("{base}_body"));
    let mut body_rets: Vec<TensorRef> = next_refs.clone();
    body_rets.extend((vars.len()..total).map(|k| TensorRef::new(&arg_names[k], 0)));
    let cond = build(&cond_name, nodes, &cond_nodes, &cond_map, &arg_names, vec![pred_ref])?;
    let body = build(&body_name, nodes, &body_nodes, &body_map, &arg_names, body_rets)?;
    graph.functions.insert(cond_name.clone(), Arc::new(cond));
    graph.functions.insert(body_name.clone(), Arc::new(body));

    // The While node: inputs are the initial values, invariants and captures.
    let mut inputs: Vec<TensorRef> = vars.iter().map(|v| v.init.clone()).collect();
    inputs.extend(invariants.iter().map(|(_, r)| r.clone()));
    inputs.extend(captures.iter().cloned());
    let mut attrs = BTreeMap::new();
    attrs.insert("cond".to_string(), func_attr(&cond_name));
    attrs.insert("body".to_string(), func_attr(&body_name));
    attrs.insert("_wgtf_tf1_frame".to_string(), AttrValue { value: Some(Value::S(fname.clone().into_bytes())) });
    let w = Node { name: while_name.clone(), op: "While".into(), inputs, controls: vec![], attrs, device: String::new() };

    // Exits become identities of the While's outputs.
    let exits: Vec<String> = nodes
        .values()
        .filter(|n| is(&n.op, "Exit") && n.inputs.first().is_some_and(|r| members.contains(&r.node)))
        .map(|n| n.name.clone())
        .collect();
    for x in exits {
        let node = nodes.get_mut(&x).expect("exists");
        let r = node.inputs[0].clone();
        let v = vars
            .iter()
            .position(|v| v.switch.as_deref() == Some(r.node.as_str()) && r.index == 0)
            .ok_or_else(|| node.err(format!("the Exit reads '{r}', not a loop variable's Switch")))?;
        node.op = "Identity".into();
        node.inputs = vec![TensorRef::new(&while_name, v)];
        node.attrs.retain(|k, _| k == "T");
    }
    // The frame's nodes are now inside the functions.
    for m in &members {
        nodes.remove(m);
        frame_of.remove(m);
    }
    for n in nodes.values() {
        for r in &n.inputs {
            if members.contains(&r.node) {
                return Err(n.err(format!("reads '{r}' from inside loop frame '{fname}' without an Exit")));
            }
        }
    }
    for n in nodes.values_mut() {
        n.controls.retain(|c| !members.contains(c));
    }
    frame_of.insert(while_name.clone(), frames[f].parent);
    nodes.insert(while_name.clone(), w);
    file_order.push(while_name);
    Ok(())
}

/// The frame nodes needed to compute `roots`, stopping at mapped tensors (arguments). Tensors
/// of nodes outside the frame become captures (extra arguments numbered from `nargs`).
fn collect(
    fname: &str,
    nodes: &BTreeMap<String, Node>,
    members: &HashSet<String>,
    roots: &[TensorRef],
    map: &mut HashMap<TensorRef, usize>,
    nargs: usize,
    captures: &mut Vec<TensorRef>,
) -> Result<Vec<String>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut todo: Vec<TensorRef> = roots.to_vec();
    while let Some(r) = todo.pop() {
        if map.contains_key(&r) {
            continue;
        }
        if !members.contains(&r.node) {
            if !captures.contains(&r) {
                captures.push(r.clone());
            }
            map.insert(r.clone(), nargs + captures.iter().position(|c| *c == r).expect("pushed"));
            continue;
        }
        if !seen.insert(r.node.clone()) {
            continue;
        }
        let n = nodes.get(&r.node).ok_or_else(|| Error::InvalidModel(format!("TF1 loop frame '{fname}': node '{}' is missing", r.node)))?;
        if ["Enter", "NextIteration", "LoopCond"].iter().any(|o| is(&n.op, o)) {
            return Err(n.err(format!("loop frame '{fname}' is malformed: the loop reads {} output '{r}' directly", n.op)));
        }
        out.push(n.name.clone());
        todo.extend(n.inputs.iter().cloned());
    }
    Ok(out)
}

/// A function from frame nodes: arguments replace the mapped tensors.
fn build(
    name: &str,
    nodes: &BTreeMap<String, Node>,
    members: &[String],
    map: &HashMap<TensorRef, usize>,
    arg_names: &[String],
    rets: Vec<TensorRef>,
) -> Result<Function> {
    let mut g = Graph::default();
    for (k, a) in arg_names.iter().enumerate() {
        let mut attrs = BTreeMap::new();
        attrs.insert("index".to_string(), AttrValue { value: Some(Value::I(k as i64)) });
        g.push(Node { name: a.clone(), op: ARG_OP.into(), inputs: vec![], controls: vec![], attrs, device: String::new() })?;
    }
    let set: HashSet<&String> = members.iter().collect();
    let remap = |r: &TensorRef| match map.get(r) {
        Some(&k) => TensorRef::new(&arg_names[k], 0),
        None => r.clone(),
    };
    let mut sorted: Vec<&String> = members.iter().collect();
    sorted.sort();
    for m in sorted {
        let n = &nodes[m];
        let mut c = n.clone();
        c.inputs = n.inputs.iter().map(remap).collect();
        c.controls.retain(|x| set.contains(x));
        g.push(c)?;
    }
    let rets: Vec<TensorRef> = rets.iter().map(remap).collect();
    Ok(Function {
        name: name.to_string(),
        graph: g,
        args: arg_names.to_vec(),
        arg_dtypes: vec![None; arg_names.len()],
        ret_names: (0..rets.len()).map(|k| format!("output{k}")).collect(),
        rets,
    })
}
