//! The function library: `FunctionDef` bodies as graphs of their own, and inlining of function
//! calls (`PartitionedCall`, `StatefulPartitionedCall`, and nodes whose op names a function).
//!
//! A [`Function`] is a [`Graph`] whose arguments are `_Arg` nodes named after the signature's
//! input args; its outputs are tensor references into that graph. FunctionDef node inputs use
//! the `node:output_arg:index` form; they are turned into plain `node:N` references here, using
//! the op's output arguments (a table of the multi-output ops, or the signature of a called
//! function). Attribute placeholders (`$T`) are substituted from the call site.
//!
//! Control flow bodies (While/If) are instantiated by the planner with [`instantiate`]; calls
//! are inlined with [`inline_calls`]. Nesting is bounded by [`MAX_CALL_DEPTH`].
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::{Graph, Node, TensorRef};
use crate::error::{Error, Result};
use crate::proto::{self, attr_value::Value, AttrValue, NameAttrList};
use crate::tensor::DType;

/// How deep function calls (and control-flow bodies) may nest.
pub const MAX_CALL_DEPTH: usize = 32;

/// A graph or function body may grow to this many nodes by inlining (calls of calls can
/// multiply sizes; a hostile library must not exhaust memory).
pub const MAX_INLINED_NODES: usize = 1_000_000;

/// The op of argument nodes in a [`Function`]'s graph.
pub const ARG_OP: &str = "_Arg";

/// A function body in graph form.
#[derive(Clone, Debug)]
pub struct Function {
    pub name: String,
    /// `_Arg` nodes (named after the arguments) and the body's nodes.
    pub graph: Graph,
    /// The `_Arg` node of each argument, in order.
    pub args: Vec<String>,
    /// The declared type of each argument, when known.
    pub arg_dtypes: Vec<Option<DType>>,
    /// What each output is, in order.
    pub rets: Vec<TensorRef>,
    /// The signature's output names.
    pub ret_names: Vec<String>,
}

impl Function {
    /// The number of nodes besides the arguments.
    pub fn body_len(&self) -> usize {
        self.graph.nodes.iter().filter(|n| n.op != ARG_OP).count()
    }
}

/// Whether the graph's library (or its converted functions) has a function of this name.
pub fn has_function(graph: &Graph, name: &str) -> bool {
    graph.functions.contains_key(name) || find_def(graph, name).is_some()
}

fn find_def<'a>(graph: &'a Graph, name: &str) -> Option<&'a proto::FunctionDef> {
    graph.library.as_ref()?.function.iter().find(|f| f.signature.as_ref().is_some_and(|s| s.name == name))
}

/// The names of every function a node calls (While cond/body, If branches, PartitionedCall f,
/// Case branches, or the op itself when it names a function).
pub fn called_functions(graph: &Graph, node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    // Conventional order first (cond before body, then before else), then the rest.
    let first = ["cond", "body", "then_branch", "else_branch", "f", "branches"];
    let mut keys: Vec<&String> = node.attrs.keys().collect();
    keys.sort_by_key(|k| first.iter().position(|f| f == k).unwrap_or(first.len()));
    for k in keys {
        let a = &node.attrs[k];
        match &a.value {
            Some(Value::Func(f)) if !f.name.is_empty() => out.push(f.name.clone()),
            Some(Value::List(l)) if !l.func.is_empty() && k != "_output_shapes" => {
                out.extend(l.func.iter().map(|f| f.name.clone()))
            }
            _ => {}
        }
    }
    if has_function(graph, &node.op) {
        out.push(node.op.clone());
    }
    out
}

/// Builds the body of function `name` for a call with `attrs` (the call's attributes, which
/// fill the function's `$placeholder` attributes). Calls inside the body are inlined.
pub fn instantiate(graph: &Graph, name: &str, attrs: &BTreeMap<String, AttrValue>) -> Result<Arc<Function>> {
    instantiate_at(graph, name, attrs, 0)
}

/// [`instantiate`] with the attributes of a `func` attribute.
pub fn instantiate_attr(graph: &Graph, f: &NameAttrList) -> Result<Arc<Function>> {
    let attrs: BTreeMap<String, AttrValue> = f.attr.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    instantiate(graph, &f.name, &attrs)
}

fn instantiate_at(graph: &Graph, name: &str, attrs: &BTreeMap<String, AttrValue>, depth: usize) -> Result<Arc<Function>> {
    if depth > MAX_CALL_DEPTH {
        return Err(Error::InvalidModel(format!(
            "function calls nest deeper than {MAX_CALL_DEPTH} levels at '{name}' (a recursive function?)"
        )));
    }
    if let Some(f) = graph.functions.get(name) {
        return Ok(f.clone());
    }
    let def = find_def(graph, name)
        .ok_or_else(|| Error::InvalidModel(format!("function '{name}' is not in the graph's function library")))?;
    let mut f = from_def(graph, def, attrs)?;
    inline_in(graph, &mut f.graph, depth + 1)?;
    Ok(Arc::new(f))
}

/// An error about a function.
fn ferr(name: &str, msg: impl std::fmt::Display) -> Error {
    Error::InvalidModel(format!("function '{name}': {msg}"))
}

/// Substitutes `$placeholder` attributes; `defaults` are the signature's attribute defaults.
fn resolve_attr(
    fname: &str,
    v: &AttrValue,
    call: &BTreeMap<String, AttrValue>,
    defaults: &HashMap<String, AttrValue>,
) -> Result<AttrValue> {
    match &v.value {
        Some(Value::Placeholder(p)) => call
            .get(p)
            .or_else(|| defaults.get(p))
            .cloned()
            .ok_or_else(|| ferr(fname, format!("attribute placeholder '${p}' has no value at the call"))),
        _ => Ok(v.clone()),
    }
}

/// How many tensors an argument stands for.
fn arg_count(fname: &str, a: &proto::op_def::ArgDef, attrs: &BTreeMap<String, AttrValue>) -> Result<usize> {
    if !a.number_attr.is_empty() {
        return match attrs.get(&a.number_attr).and_then(|v| v.value.as_ref()) {
            Some(Value::I(n)) if *n >= 0 => Ok(*n as usize),
            _ => Err(ferr(fname, format!("argument '{}': list length '{}' is unknown", a.name, a.number_attr))),
        };
    }
    if !a.type_list_attr.is_empty() {
        return match attrs.get(&a.type_list_attr).and_then(|v| v.value.as_ref()) {
            Some(Value::List(l)) => Ok(l.r#type.len()),
            _ => Err(ferr(fname, format!("argument '{}': type list '{}' is unknown", a.name, a.type_list_attr))),
        };
    }
    Ok(1)
}

fn arg_dtype(a: &proto::op_def::ArgDef, attrs: &BTreeMap<String, AttrValue>, k: usize) -> Option<DType> {
    if a.r#type != 0 {
        return DType::from_tf(a.r#type);
    }
    if !a.type_attr.is_empty() {
        if let Some(Value::Type(t)) = attrs.get(&a.type_attr).and_then(|v| v.value.as_ref()) {
            return DType::from_tf(*t);
        }
    }
    if !a.type_list_attr.is_empty() {
        if let Some(Value::List(l)) = attrs.get(&a.type_list_attr).and_then(|v| v.value.as_ref()) {
            return l.r#type.get(k).and_then(|&t| DType::from_tf(t));
        }
    }
    None
}

/// Converts a FunctionDef to graph form with the call's attributes.
fn from_def(graph: &Graph, def: &proto::FunctionDef, call: &BTreeMap<String, AttrValue>) -> Result<Function> {
    let sig = def.signature.clone().unwrap_or_default();
    let fname = sig.name.clone();
    let defaults: HashMap<String, AttrValue> =
        sig.attr.iter().filter_map(|a| Some((a.name.clone(), a.default_value.clone()?))).collect();
    // The signature's attributes, resolved: the call's values, else the defaults.
    let mut sattrs: BTreeMap<String, AttrValue> = BTreeMap::new();
    for a in &sig.attr {
        if let Some(v) = call.get(&a.name).or_else(|| defaults.get(&a.name)) {
            sattrs.insert(a.name.clone(), v.clone());
        }
    }

    let mut g = Graph { library: None, versions: None, ..Default::default() };
    // Arguments: one `_Arg` node per tensor; list arguments get `name/k` nodes.
    let mut arg_nodes: HashMap<String, Vec<String>> = HashMap::new();
    let mut args = Vec::new();
    let mut arg_dtypes = Vec::new();
    for a in &sig.input_arg {
        let n = arg_count(&fname, a, &sattrs)?;
        let single = a.number_attr.is_empty() && a.type_list_attr.is_empty();
        let mut names = Vec::with_capacity(n);
        for k in 0..n {
            let nm = if single { a.name.clone() } else { format!("{}/{k}", a.name) };
            let dt = arg_dtype(a, &sattrs, k);
            let mut attrs = BTreeMap::new();
            attrs.insert("index".to_string(), AttrValue { value: Some(Value::I(args.len() as i64)) });
            if let Some(dt) = dt {
                attrs.insert("T".to_string(), AttrValue { value: Some(Value::Type(dt.to_tf())) });
            }
            g.push(Node { name: nm.clone(), op: ARG_OP.into(), inputs: vec![], controls: vec![], attrs, device: String::new() })
                .map_err(|e| ferr(&fname, e))?;
            args.push(nm.clone());
            arg_dtypes.push(dt);
            names.push(nm);
        }
        arg_nodes.insert(a.name.clone(), names);
    }

    // Nodes, with their attributes resolved (needed to count list outputs).
    let mut resolved: Vec<(proto::NodeDef, BTreeMap<String, AttrValue>)> = Vec::with_capacity(def.node_def.len());
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for (i, nd) in def.node_def.iter().enumerate() {
        let mut attrs = BTreeMap::new();
        for (k, v) in &nd.attr {
            attrs.insert(k.clone(), resolve_attr(&fname, v, call, &defaults)?);
        }
        if arg_nodes.contains_key(&nd.name) {
            return Err(ferr(&fname, format!("node '{}' has the name of an argument", nd.name)));
        }
        if by_name.insert(nd.name.as_str(), i).is_some() {
            return Err(ferr(&fname, format!("two nodes are named '{}'", nd.name)));
        }
        resolved.push((nd.clone(), attrs));
    }

    // One input reference of a FunctionDef node (or a `ret` value) in graph form.
    let parse_ref = |s: &str, who: &str| -> Result<TensorRef> {
        let parts: Vec<&str> = s.split(':').collect();
        let bad = || ferr(&fname, format!("{who}: malformed reference '{s}'"));
        match parts.as_slice() {
            [a] => match arg_nodes.get(*a) {
                Some(v) if !v.is_empty() => Ok(TensorRef::new(v[0].clone(), 0)),
                Some(_) => Err(bad()),
                None => Ok(TensorRef::new(*a, 0)),
            },
            [a, k] => {
                let k: usize = k.parse().map_err(|_| bad())?;
                match arg_nodes.get(*a) {
                    Some(v) => v.get(k).map(|n| TensorRef::new(n.clone(), 0)).ok_or_else(bad),
                    None => Ok(TensorRef::new(*a, k)),
                }
            }
            [node, out, k] => {
                let k: usize = k.parse().map_err(|_| bad())?;
                let &i = by_name
                    .get(node)
                    .ok_or_else(|| ferr(&fname, format!("{who}: '{s}' names no node of the function")))?;
                let (nd, attrs) = &resolved[i];
                let base = output_offset(graph, &nd.op, out, attrs)
                    .map_err(|m| ferr(&fname, format!("{who}: '{s}': {m}")))?;
                Ok(TensorRef::new(*node, base + k))
            }
            _ => Err(bad()),
        }
    };

    for (nd, attrs) in &resolved {
        let mut inputs = Vec::new();
        let mut controls = Vec::new();
        for inp in &nd.input {
            if let Some(c) = inp.strip_prefix('^') {
                match arg_nodes.get(c) {
                    Some(v) => controls.extend(v.iter().cloned()),
                    None => controls.push(c.to_string()),
                }
            } else {
                inputs.push(parse_ref(inp, &format!("node '{}'", nd.name))?);
            }
        }
        g.push(Node { name: nd.name.clone(), op: nd.op.clone(), inputs, controls, attrs: attrs.clone(), device: nd.device.clone() })
            .map_err(|e| ferr(&fname, e))?;
    }

    let mut rets = Vec::new();
    let mut ret_names = Vec::new();
    for a in &sig.output_arg {
        let n = arg_count(&fname, a, &sattrs)?;
        let v = def.ret.get(&a.name).ok_or_else(|| ferr(&fname, format!("output '{}' has no ret value", a.name)))?;
        let r = parse_ref(v, &format!("output '{}'", a.name))?;
        for k in 0..n {
            rets.push(TensorRef::new(r.node.clone(), r.index + k));
            ret_names.push(if n == 1 { a.name.clone() } else { format!("{}/{k}", a.name) });
        }
    }
    // Every reference must name a node of the function.
    for n in &g.nodes {
        for r in &n.inputs {
            if g.node(&r.node).is_none() {
                return Err(ferr(&fname, format!("node '{}': input '{r}' names no node or argument", n.name)));
            }
        }
    }
    for n in g.nodes.iter_mut() {
        let keep: Vec<String> = n.controls.drain(..).collect();
        n.controls = keep.into_iter().filter(|c| by_name.contains_key(c.as_str()) || arg_nodes.values().flatten().any(|a| a == c)).collect();
    }
    for r in &rets {
        if g.node(&r.node).is_none() {
            return Err(ferr(&fname, format!("output '{r}' names no node or argument")));
        }
    }
    Ok(Function { name: fname, graph: g, args, arg_dtypes, rets, ret_names })
}

/// How an op's output argument counts its tensors.
#[derive(Clone, Copy)]
enum Count {
    One,
    Attr(&'static str),
}
use Count::{Attr, One};

/// Ops with more than one output argument: (op, [(output arg, count)]). Ops not listed have a
/// single output argument, so `node:anything:k` is output k.
const MULTI_OUTPUT: &[(&str, &[(&str, Count)])] = &[
    ("Switch", &[("output_false", One), ("output_true", One)]),
    ("RefSwitch", &[("output_false", One), ("output_true", One)]),
    ("Merge", &[("output", One), ("value_index", One)]),
    ("RefMerge", &[("output", One), ("value_index", One)]),
    ("FusedBatchNorm", &[("y", One), ("batch_mean", One), ("batch_variance", One), ("reserve_space_1", One), ("reserve_space_2", One)]),
    ("FusedBatchNormV2", &[("y", One), ("batch_mean", One), ("batch_variance", One), ("reserve_space_1", One), ("reserve_space_2", One)]),
    ("FusedBatchNormV3", &[("y", One), ("batch_mean", One), ("batch_variance", One), ("reserve_space_1", One), ("reserve_space_2", One), ("reserve_space_3", One)]),
    ("_FusedBatchNormEx", &[("y", One), ("batch_mean", One), ("batch_variance", One), ("reserve_space_1", One), ("reserve_space_2", One), ("reserve_space_3", One)]),
    ("Unique", &[("y", One), ("idx", One)]),
    ("UniqueV2", &[("y", One), ("idx", One)]),
    ("UniqueWithCounts", &[("y", One), ("idx", One), ("count", One)]),
    ("UniqueWithCountsV2", &[("y", One), ("idx", One), ("count", One)]),
    ("TopK", &[("values", One), ("indices", One)]),
    ("TopKV2", &[("values", One), ("indices", One)]),
    ("ApproxTopK", &[("values", One), ("indices", One)]),
    ("TensorListPopBack", &[("output_handle", One), ("tensor", One)]),
    ("TensorListConcat", &[("tensor", One), ("lengths", One)]),
    ("TensorListConcatV2", &[("tensor", One), ("lengths", One)]),
    ("TensorArrayV3", &[("handle", One), ("flow", One)]),
    ("TensorArrayGradV3", &[("grad_handle", One), ("flow_out", One)]),
    ("TensorArrayGradWithShape", &[("grad_handle", One), ("flow_out", One)]),
    ("TensorArrayConcatV3", &[("value", One), ("lengths", One)]),
    ("MaxPoolWithArgmax", &[("output", One), ("argmax", One)]),
    ("NonMaxSuppressionV4", &[("selected_indices", One), ("valid_outputs", One)]),
    ("NonMaxSuppressionV5", &[("selected_indices", One), ("selected_scores", One), ("valid_outputs", One)]),
    ("CombinedNonMaxSuppression", &[("nmsed_boxes", One), ("nmsed_scores", One), ("nmsed_classes", One), ("valid_detections", One)]),
    ("BroadcastGradientArgs", &[("r0", One), ("r1", One)]),
    ("Svd", &[("s", One), ("u", One), ("v", One)]),
    ("Qr", &[("q", One), ("r", One)]),
    ("SelfAdjointEigV2", &[("e", One), ("v", One)]),
    ("Eig", &[("e", One), ("v", One)]),
    ("Lu", &[("lu", One), ("p", One)]),
    ("LSTMBlockCell", &[("i", One), ("cs", One), ("f", One), ("o", One), ("ci", One), ("co", One), ("h", One)]),
    ("BlockLSTM", &[("i", One), ("cs", One), ("f", One), ("o", One), ("ci", One), ("co", One), ("h", One)]),
    ("BlockLSTMV2", &[("i", One), ("cs", One), ("f", One), ("o", One), ("ci", One), ("co", One), ("h", One)]),
    ("GRUBlockCell", &[("r", One), ("u", One), ("c", One), ("h", One)]),
    ("CudnnRNN", &[("output", One), ("output_h", One), ("output_c", One), ("reserve_space", One)]),
    ("CudnnRNNV2", &[("output", One), ("output_h", One), ("output_c", One), ("reserve_space", One), ("host_reserved", One)]),
    ("CudnnRNNV3", &[("output", One), ("output_h", One), ("output_c", One), ("reserve_space", One), ("host_reserved", One)]),
    ("QuantizeV2", &[("output", One), ("output_min", One), ("output_max", One)]),
    ("SparseFillEmptyRows", &[("output_indices", One), ("output_values", One), ("empty_row_indicator", One), ("reverse_index_map", One)]),
    ("SparseReshape", &[("output_indices", One), ("output_shape", One)]),
    ("CTCGreedyDecoder", &[("decoded_indices", One), ("decoded_values", One), ("decoded_shape", One), ("log_probability", One)]),
    ("CTCBeamSearchDecoder", &[("decoded_indices", Attr("top_paths")), ("decoded_values", Attr("top_paths")), ("decoded_shape", Attr("top_paths")), ("log_probability", One)]),
    ("SparseSplit", &[("output_indices", Attr("num_split")), ("output_values", Attr("num_split")), ("output_shape", Attr("num_split"))]),
    ("StringSplit", &[("indices", One), ("values", One), ("shape", One)]),
    ("StringSplitV2", &[("indices", One), ("values", One), ("shape", One)]),
];

/// The position of output argument `out` among the outputs of a node of `op`.
fn output_offset(graph: &Graph, op: &str, out: &str, attrs: &BTreeMap<String, AttrValue>) -> std::result::Result<usize, String> {
    if let Some((_, args)) = MULTI_OUTPUT.iter().find(|(o, _)| *o == op) {
        let mut off = 0;
        for (name, c) in args.iter() {
            if *name == out {
                return Ok(off);
            }
            off += match c {
                One => 1,
                Attr(a) => match attrs.get(*a).and_then(|v| v.value.as_ref()) {
                    Some(Value::I(n)) if *n >= 0 => *n as usize,
                    _ => return Err(format!("list length attribute '{a}' of {op} is missing")),
                },
            };
        }
        return Err(format!("{op} has no output named '{out}'"));
    }
    // A call of a library function: its signature lists the outputs.
    if let Some(def) = find_def(graph, op) {
        let sig = def.signature.clone().unwrap_or_default();
        let mut off = 0;
        for a in &sig.output_arg {
            if a.name == out {
                return Ok(off);
            }
            off += arg_count(op, a, attrs).map_err(|e| e.to_string())?;
        }
        return Err(format!("function {op} has no output named '{out}'"));
    }
    Ok(0)
}

/// Whether a node is a function call to inline: a (Stateful)PartitionedCall, or a node whose
/// op names a library function.
fn call_target(graph: &Graph, n: &Node) -> Result<Option<(String, BTreeMap<String, AttrValue>)>> {
    if matches!(n.op.as_str(), "PartitionedCall" | "StatefulPartitionedCall") {
        let f = n.attr_opt_func("f")?.ok_or_else(|| n.err("attribute 'f' (the function) is missing"))?;
        let attrs = f.attr.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        return Ok(Some((f.name.clone(), attrs)));
    }
    if has_function(graph, &n.op) {
        return Ok(Some((n.op.clone(), n.attrs.clone())));
    }
    Ok(None)
}

/// Inlines every function call of `graph` (nested calls too): the body's nodes are added under
/// `call_name/`, and the call node becomes an `IdentityN` of the body's outputs, so consumers
/// (`call:1`, `^call`) are unchanged. Returns the number of calls inlined.
pub fn inline_calls(graph: &mut Graph) -> Result<usize> {
    let lib = graph.clone_library();
    inline_in(&lib, graph, 0)
}

/// Inlines the calls of `g`, looking functions up in `lib`'s library.
fn inline_in(lib: &Graph, g: &mut Graph, depth: usize) -> Result<usize> {
    let mut count = 0;
    let mut i = 0;
    // New nodes are appended; the loop reaches them too, but instantiated bodies are already
    // flat (their calls were inlined at depth + 1).
    while i < g.nodes.len() {
        let Some((fname, attrs)) = call_target(lib, &g.nodes[i])? else {
            i += 1;
            continue;
        };
        let call = g.nodes[i].clone();
        let f = instantiate_at(lib, &fname, &attrs, depth).map_err(|e| match e {
            Error::InvalidModel(m) => call.err(m),
            e => e,
        })?;
        if f.args.len() != call.inputs.len() {
            return Err(call.err(format!("function '{fname}' takes {} inputs, the call gives {}", f.args.len(), call.inputs.len())));
        }
        // A prefix that clashes with no existing node.
        let mut prefix = format!("{}/", call.name);
        let mut k = 1;
        while f.graph.nodes.iter().any(|n| n.op != ARG_OP && g.node(&format!("{prefix}{}", n.name)).is_some()) {
            prefix = format!("{}_inlined_{k}/", call.name);
            k += 1;
        }
        let args: HashMap<&str, usize> = f.args.iter().enumerate().map(|(i, a)| (a.as_str(), i)).collect();
        let map_ref = |r: &TensorRef| -> TensorRef {
            match args.get(r.node.as_str()) {
                Some(&a) => call.inputs[a].clone(),
                None => TensorRef::new(format!("{prefix}{}", r.node), r.index),
            }
        };
        let mut added = Vec::new();
        for n in f.graph.nodes.iter().filter(|n| n.op != ARG_OP) {
            let mut m = n.clone();
            m.name = format!("{prefix}{}", n.name);
            m.inputs = n.inputs.iter().map(map_ref).collect();
            let mut controls: Vec<String> = Vec::new();
            for c in &n.controls {
                match args.get(c.as_str()) {
                    Some(&a) => controls.push(call.inputs[a].node.clone()),
                    None => controls.push(format!("{prefix}{c}")),
                }
            }
            // Nodes with no inputs run when the call runs.
            if m.inputs.is_empty() && controls.is_empty() {
                controls.extend(call.controls.iter().cloned());
            }
            m.controls = controls;
            added.push(m);
        }
        let rets: Vec<TensorRef> = f.rets.iter().map(map_ref).collect();
        let mut attrs = BTreeMap::new();
        attrs.insert("_wgtf_inlined".to_string(), AttrValue { value: Some(Value::S(fname.clone().into_bytes())) });
        g.nodes[i] = Node {
            name: call.name.clone(),
            op: "IdentityN".into(),
            inputs: rets,
            controls: call.controls.clone(),
            attrs,
            device: call.device.clone(),
        };
        if g.nodes.len() + added.len() > MAX_INLINED_NODES {
            return Err(call.err(format!("inlining '{fname}' makes the graph larger than {MAX_INLINED_NODES} nodes")));
        }
        for m in added {
            g.push(m)?;
        }
        count += 1;
        i += 1;
    }
    if count > 0 {
        g.reindex()?;
    }
    Ok(count)
}

impl Graph {
    /// A graph holding only this graph's function library (to look functions up while the
    /// graph itself is edited).
    fn clone_library(&self) -> Graph {
        Graph { library: self.library.clone(), functions: self.functions.clone(), ..Default::default() }
    }
}

/// Every function reachable from the graph's nodes (through calls and control flow), by name.
pub fn reachable_functions(graph: &Graph) -> Result<BTreeMap<String, Arc<Function>>> {
    let mut out: BTreeMap<String, Arc<Function>> = BTreeMap::new();
    let mut todo: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for n in &graph.nodes {
        todo.extend(called_functions(graph, n));
    }
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if seen.len() > 10_000 {
            return Err(Error::InvalidModel("more than 10000 functions are reachable".into()));
        }
        // Attributes are unknown here; functions whose placeholders have no default cannot be
        // listed, which is fine for a summary.
        let Ok(f) = instantiate(graph, &name, &BTreeMap::new()) else { continue };
        for n in &f.graph.nodes {
            todo.extend(called_functions(graph, n));
        }
        out.insert(name, f);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{op_def::ArgDef, FunctionDef, FunctionDefLibrary, NodeDef, OpDef};

    fn nd(name: &str, op: &str, inputs: &[&str]) -> NodeDef {
        NodeDef { name: name.into(), op: op.into(), input: inputs.iter().map(|s| s.to_string()).collect(), ..Default::default() }
    }
    fn arg(name: &str) -> ArgDef {
        ArgDef { name: name.into(), r#type: DType::F32.to_tf(), ..Default::default() }
    }
    fn fdef(name: &str, ins: &[&str], outs: &[(&str, &str)], nodes: Vec<NodeDef>) -> FunctionDef {
        FunctionDef {
            signature: Some(OpDef {
                name: name.into(),
                input_arg: ins.iter().map(|s| arg(s)).collect(),
                output_arg: outs.iter().map(|(s, _)| arg(s)).collect(),
                ..Default::default()
            }),
            node_def: nodes,
            ret: outs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
            ..Default::default()
        }
    }

    fn graph_with(lib: Vec<FunctionDef>, nodes: Vec<NodeDef>) -> Graph {
        let gd = proto::GraphDef { node: nodes, library: Some(FunctionDefLibrary { function: lib, gradient: vec![] }), ..Default::default() };
        Graph::from_graph_def(gd, None).unwrap()
    }

    #[test]
    fn function_refs_become_graph_refs() {
        let f = fdef(
            "f",
            &["x", "y"],
            &[("out", "sw:output_true:0"), ("idx", "m:value_index:0")],
            vec![nd("sw", "Switch", &["x", "y"]), nd("m", "Merge", &["sw:output_false:0", "sw:output_true:0"])],
        );
        let g = graph_with(vec![f], vec![]);
        let f = instantiate(&g, "f", &BTreeMap::new()).unwrap();
        assert_eq!(f.args, ["x", "y"]);
        assert_eq!(f.rets, [TensorRef::new("sw", 1), TensorRef::new("m", 1)]);
        let m = f.graph.node("m").unwrap();
        assert_eq!(m.inputs, [TensorRef::new("sw", 0), TensorRef::new("sw", 1)]);
    }

    #[test]
    fn calls_are_inlined_recursively_and_bounded() {
        let inner = fdef("inner", &["a"], &[("r", "n:y:0")], vec![nd("n", "Relu", &["a"])]);
        let outer = fdef("outer", &["a"], &[("r", "c:r:0")], vec![nd("c", "inner", &["a"])]);
        let mut call = nd("call", "StatefulPartitionedCall", &["x"]);
        call.attr.insert("f".into(), AttrValue { value: Some(Value::Func(NameAttrList { name: "outer".into(), attr: Default::default() })) });
        let mut g = graph_with(vec![inner, outer], vec![nd("x", "Placeholder", &[]), call, nd("out", "Identity", &["call"])]);
        assert_eq!(inline_calls(&mut g).unwrap(), 1);
        g.check_inputs().unwrap();
        let c = g.node("call").unwrap();
        assert_eq!(c.op, "IdentityN");
        // The nested call became an IdentityN of its body's output too.
        assert_eq!(c.inputs, [TensorRef::new("call/c", 0)]);
        assert_eq!(g.node("call/c").unwrap().inputs, [TensorRef::new("call/c/n", 0)]);
        assert_eq!(g.node("call/c/n").unwrap().inputs, [TensorRef::new("x", 0)]);

        // A function that calls itself is an error, not a stack overflow.
        let rec = fdef("rec", &["a"], &[("r", "c:r:0")], vec![nd("c", "rec", &["a"])]);
        let mut g = graph_with(vec![rec], vec![nd("x", "Placeholder", &[]), nd("call", "rec", &["x"])]);
        let e = inline_calls(&mut g).unwrap_err().to_string();
        assert!(e.contains("nest deeper"), "{e}");
    }

    #[test]
    fn attribute_placeholders_take_the_call_values() {
        let mut f = fdef("f", &["x"], &[("r", "c:y:0")], vec![nd("c", "Cast", &["x"])]);
        let ph = AttrValue { value: Some(Value::Placeholder("DstT".into())) };
        f.node_def[0].attr.insert("DstT".into(), ph);
        f.signature.as_mut().unwrap().attr.push(proto::op_def::AttrDef { name: "DstT".into(), r#type: "type".into(), ..Default::default() });
        let g = graph_with(vec![f], vec![]);
        let mut attrs = BTreeMap::new();
        attrs.insert("DstT".to_string(), AttrValue { value: Some(Value::Type(DType::I32.to_tf())) });
        let body = instantiate(&g, "f", &attrs).unwrap();
        assert_eq!(body.graph.node("c").unwrap().attr_dtype("DstT").unwrap(), DType::I32);
        // Without a value (and no default) the placeholder is an error naming it.
        let e = instantiate(&g, "f", &BTreeMap::new()).unwrap_err().to_string();
        assert!(e.contains("$DstT"), "{e}");
    }

    #[test]
    fn bad_references_are_errors() {
        let f = fdef("f", &["x"], &[("r", "nope:y:0")], vec![]);
        let g = graph_with(vec![f], vec![]);
        assert!(instantiate(&g, "f", &BTreeMap::new()).is_err());
        assert!(instantiate(&g, "missing", &BTreeMap::new()).is_err());
    }
}
