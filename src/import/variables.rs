//! Variables and their restoration: which checkpoint key holds each variable's value, reading
//! the values, and rewriting the graph so every restored variable is a `Const` (the load-time
//! folding then uploads it once).
//!
//! The rewrite is TensorFlow's own (`convert_variables_to_constants`): `VariableV2`/`Variable`/
//! `VarHandleOp` become `Const` nodes of the same name; a `ReadVariableOp` of one becomes an
//! `Identity`, `ResourceGather` a `GatherV2` (with a `NAME/axis` constant), `ResourceGatherNd` a
//! `GatherNd`; the `T` of Identity-like nodes on the way is set to the value's dtype.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use super::checkpoint::{Checkpoint, StoredTensor};
use crate::error::{Error, Result};
use crate::graph::{Graph, Node, TensorRef};
use crate::proto::{attr_value::Value, AttrValue, TensorProto};
use crate::tensor::{DType, Data, Tensor};

/// Ops that hold a variable.
pub const VARIABLE_OPS: [&str; 3] = ["VariableV2", "Variable", "VarHandleOp"];

/// Which variables to restore, from where, and values given by the caller (like
/// `tf.compat.v1.train.Saver(var_list)`: all variables by default, a subset, or a map from
/// checkpoint keys to graph variables).
#[derive(Clone, Debug, Default)]
pub struct RestoreOptions {
    /// The checkpoint prefix to restore from, instead of the model's own (the `.meta`'s prefix,
    /// a SavedModel's `variables/variables`).
    pub checkpoint: Option<PathBuf>,
    /// Restore only these variables (graph names, with or without the import prefix); every
    /// other variable that the model needs must then be given in `values`.
    pub only: Option<Vec<String>>,
    /// Checkpoint key -> graph variable, for variables saved under another name.
    pub rename: BTreeMap<String, String>,
    /// Values for variables (graph names); they take precedence over the checkpoint.
    pub values: BTreeMap<String, Tensor>,
}

/// A variable of a loaded model.
#[derive(Clone, Debug)]
pub struct VariableInfo {
    /// The node's name in the graph.
    pub name: String,
    pub op: String,
    pub dtype: Option<DType>,
    /// `None`: unknown rank; `None` dims are unknown.
    pub shape: Option<Vec<Option<usize>>>,
    /// The checkpoint key its value is read from.
    pub key: String,
    /// Where the value came from.
    pub source: ValueSource,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueSource {
    Checkpoint,
    Given,
    /// Not restored: the model's outputs do not need it (it was removed from the graph).
    Unused,
}

fn verr(msg: impl Into<String>) -> Error {
    Error::Restore(msg.into())
}

/// The variable nodes of a graph.
pub fn variable_nodes(g: &Graph) -> Vec<&Node> {
    g.nodes.iter().filter(|n| VARIABLE_OPS.contains(&n.op.as_str())).collect()
}

/// `name` without the import prefix `scope/`.
pub fn unscoped<'a>(name: &'a str, scope: Option<&str>) -> &'a str {
    match scope.filter(|s| !s.is_empty()) {
        Some(s) => name.strip_prefix(s.trim_end_matches('/')).and_then(|r| r.strip_prefix('/')).unwrap_or(name),
        None => name,
    }
}

/// Finds the graph variable that `name` designates: the node itself, or the node under the
/// import prefix.
fn find_var<'a>(vars: &'a [String], name: &str, scope: Option<&str>) -> Option<&'a String> {
    let name = name.strip_suffix(":0").unwrap_or(name);
    vars.iter().find(|v| v.as_str() == name).or_else(|| vars.iter().find(|v| unscoped(v, scope) == name))
}

/// The checkpoint keys a `tf.compat.v1.train.Saver` in the graph restores each variable from:
/// each `RestoreV2` output `i` (key `tensor_names[i]`) that reaches an `Assign` or
/// `AssignVariableOp` (through Identity nodes) restores the variable that op assigns. This is how
/// variables saved under other names (`Saver({"v1": other_v1})`) are found. Works on inlined
/// TF2 restore functions too.
pub fn saver_keys(g: &Graph) -> HashMap<String, String> {
    let mut consumers: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
    for (i, n) in g.nodes.iter().enumerate() {
        for (k, r) in n.inputs.iter().enumerate() {
            consumers.entry(r.node.as_str()).or_default().push((i, k));
        }
    }
    let mut keys = HashMap::new();
    for n in g.nodes.iter().filter(|n| n.op == "RestoreV2") {
        let Some(names) = n.inputs.get(1).and_then(|r| source(g, r)).filter(|c| c.op == "Const") else { continue };
        let Ok(t) = names.attr_tensor("value") else { continue };
        let Data::Str(names) = t.data() else { continue };
        // Walk from each output through Identity nodes to the assignments.
        let mut todo: Vec<(String, usize, String)> = names
            .iter()
            .enumerate()
            .map(|(i, k)| (n.name.clone(), i, String::from_utf8_lossy(k).into_owned()))
            .collect();
        let mut steps = 0;
        while let Some((node, out, key)) = todo.pop() {
            steps += 1;
            if steps > 100_000 {
                break;
            }
            for &(ci, k) in consumers.get(node.as_str()).map(|v| v.as_slice()).unwrap_or(&[]) {
                let c = &g.nodes[ci];
                if c.inputs[k].index != out {
                    continue;
                }
                match c.op.as_str() {
                    "Identity" | "Snapshot" => todo.push((c.name.clone(), 0, key.clone())),
                    "Assign" | "AssignVariableOp" if k == 1 => {
                        if let Some(v) = c.inputs.first().and_then(|r| source(g, r)).filter(|v| VARIABLE_OPS.contains(&v.op.as_str())) {
                            keys.insert(v.name.clone(), key.clone());
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    keys
}

/// Follows Identity chains upstream to the node that produces a value.
fn source<'a>(g: &'a Graph, mut r: &'a TensorRef) -> Option<&'a Node> {
    for _ in 0..64 {
        let n = g.node(&r.node)?;
        if matches!(n.op.as_str(), "Identity" | "Snapshot") && !n.inputs.is_empty() {
            r = &n.inputs[0];
        } else {
            return Some(n);
        }
    }
    None
}

/// Encodes a host tensor as a TensorProto (little-endian `tensor_content`).
pub fn encode_tensor(t: &Tensor) -> TensorProto {
    let shape = super::checkpoint::shape_proto(t.shape());
    let mut p = TensorProto { dtype: t.dtype().to_tf(), tensor_shape: Some(shape), ..Default::default() };
    let mut b = Vec::new();
    match (t.data(), t.dtype()) {
        (Data::F32(v), DType::F16) => v.iter().for_each(|x| b.extend(half::f16::from_f32(*x).to_le_bytes())),
        (Data::F32(v), DType::BF16) => v.iter().for_each(|x| b.extend(half::bf16::from_f32(*x).to_le_bytes())),
        (Data::F32(v), _) => v.iter().for_each(|x| b.extend(x.to_le_bytes())),
        (Data::F64(v), _) => v.iter().for_each(|x| b.extend(x.to_le_bytes())),
        (Data::I32(v), DType::I8 | DType::U8) => v.iter().for_each(|x| b.push(*x as u8)),
        (Data::I32(v), DType::I16 | DType::U16) => v.iter().for_each(|x| b.extend((*x as u16).to_le_bytes())),
        (Data::I32(v), _) => v.iter().for_each(|x| b.extend(x.to_le_bytes())),
        (Data::I64(v), DType::U32) => v.iter().for_each(|x| b.extend((*x as u32).to_le_bytes())),
        (Data::I64(v), _) => v.iter().for_each(|x| b.extend(x.to_le_bytes())),
        (Data::Bool(v), _) => b.extend(v.iter().map(|&x| x as u8)),
        (Data::Str(v), _) => p.string_val = v.clone(),
    }
    p.tensor_content = b;
    p
}

/// Checks a value against what the variable node declares; the error names both.
fn check_value(var: &Node, dtype: DType, shape: &[usize], from: &str) -> Result<()> {
    if let Some(want) = var.attr_opt_dtype("dtype")? {
        if want != dtype {
            return Err(verr(format!("variable '{}' is {want}, but {from} is {dtype}", var.name)));
        }
    }
    if let Some(Some(dims)) = var.attr_opt_shape("shape")? {
        let ok = dims.len() == shape.len() && dims.iter().zip(shape).all(|(d, s)| d.is_none_or(|d| d == *s));
        if !ok {
            let want: Vec<String> = dims.iter().map(|d| d.map_or("?".into(), |d| d.to_string())).collect();
            return Err(verr(format!(
                "variable '{}' has shape [{}], but {from} has shape {shape:?}",
                var.name,
                want.join(", ")
            )));
        }
    }
    Ok(())
}

/// Where each variable's value comes from: the caller's, or a checkpoint key.
pub struct Plan<'a> {
    pub opts: &'a RestoreOptions,
    /// The import prefix of the graph (stripped to form default keys).
    pub scope: Option<&'a str>,
    /// Keys known from the model (its saver, its object graph), by variable node.
    pub keys: HashMap<String, String>,
}

impl Plan<'_> {
    /// The key of every variable: the caller's rename map, else the model's, else its name.
    pub fn key_of(&self, var: &str) -> String {
        if let Some((k, _)) = self.opts.rename.iter().find(|(_, v)| {
            let v = v.strip_suffix(":0").unwrap_or(v);
            v == var || unscoped(var, self.scope) == v
        }) {
            return k.clone();
        }
        self.keys.get(var).cloned().unwrap_or_else(|| unscoped(var, self.scope).to_string())
    }

    /// Checks that every variable the options name exists.
    fn check_names(&self, vars: &[String]) -> Result<()> {
        let mut unknown = Vec::new();
        let named = self.opts.only.iter().flatten().chain(self.opts.rename.values()).chain(self.opts.values.keys());
        for n in named {
            if find_var(vars, n, self.scope).is_none() {
                unknown.push(n.clone());
            }
        }
        if unknown.is_empty() {
            return Ok(());
        }
        let mut have: Vec<&str> = vars.iter().map(|s| s.as_str()).take(20).collect();
        if vars.len() > 20 {
            have.push("…");
        }
        Err(verr(format!("no variable named {} in the graph (variables: {})", unknown.join(", "), have.join(", "))))
    }

    /// Whether `var` is to be restored from the checkpoint.
    fn restores(&self, vars: &[String], var: &str) -> bool {
        match &self.opts.only {
            None => true,
            Some(list) => list.iter().any(|n| find_var(vars, n, self.scope).is_some_and(|v| v == var)),
        }
    }

    /// What the graph declares about a variable, and its key.
    pub fn describe(&self, g: &Graph, name: &str, source: ValueSource) -> VariableInfo {
        let node = g.node(name);
        VariableInfo {
            name: name.to_string(),
            op: node.map(|n| n.op.clone()).unwrap_or_default(),
            dtype: node.and_then(|n| n.attr_opt_dtype("dtype").ok().flatten()),
            shape: node.and_then(|n| n.attr_opt_shape("shape").ok().flatten().flatten()),
            key: self.key_of(name),
            source,
        }
    }

    /// The value for each variable (or why there is none).
    pub fn values(&self, g: &Graph, ckpt: Option<&Checkpoint>, which: &[String]) -> Result<Vec<(String, std::result::Result<TensorProto, String>, VariableInfo)>> {
        let vars: Vec<String> = variable_nodes(g).iter().map(|n| n.name.clone()).collect();
        self.check_names(&vars)?;
        let mut out = Vec::new();
        for name in which {
            let node = g.node(name).expect("a variable of the graph");
            let key = self.key_of(name);
            let mut info = self.describe(g, name, ValueSource::Given);
            let given = self.opts.values.iter().find(|(n, _)| find_var(&vars, n, self.scope).is_some_and(|v| v == name));
            let value = if let Some((_, t)) = given {
                check_value(node, t.dtype(), t.shape(), "the value given")?;
                Ok(encode_tensor(t))
            } else if !self.restores(&vars, name) {
                Err(format!("variable '{name}' is not in the restore list and no value was given for it"))
            } else {
                info.source = ValueSource::Checkpoint;
                match ckpt {
                    None => Err(format!("variable '{name}' needs a checkpoint (key '{key}') and the model has none")),
                    Some(c) if !c.contains(&key) => Err(format!(
                        "variable '{name}' restores from key '{key}', which checkpoint {} does not have",
                        c.prefix().display()
                    )),
                    Some(c) => {
                        let (dt, shape) = c.info(&key)?;
                        check_value(node, dt, &shape, &format!("checkpoint key '{key}' of {}", c.prefix().display()))?;
                        let t: StoredTensor = c.read(&key)?;
                        Ok(t.to_proto())
                    }
                }
            };
            out.push((name.clone(), value, info));
        }
        Ok(out)
    }
}

/// How the graph uses its variables: `needed` by its non-training outputs, or only `read` by
/// nodes that nothing consumes (`v/read`, `v/Read/ReadVariableOp`: fetchable, so restored when the
/// checkpoint has them). Variables in neither set only serve training (optimizer slots, steps).
pub struct Uses {
    pub needed: HashSet<String>,
    pub read: HashSet<String>,
}

pub fn variable_uses(g: &Graph) -> Result<Uses> {
    let mut consumed = HashSet::new();
    for n in &g.nodes {
        consumed.extend(n.inputs.iter().map(|r| r.node.as_str()));
        consumed.extend(n.controls.iter().map(|c| c.as_str()));
    }
    let is_var = |r: &TensorRef| g.node(&r.node).is_some_and(|v| VARIABLE_OPS.contains(&v.op.as_str()));
    let trivial_read = |n: &Node| matches!(n.op.as_str(), "ReadVariableOp" | "Identity") && n.inputs.len() == 1 && is_var(&n.inputs[0]);
    let sinks = g.nodes.iter().filter(|n| !consumed.contains(n.name.as_str()));
    let mut read = HashSet::new();
    let mut roots = Vec::new();
    for n in sinks {
        if trivial_read(n) {
            read.insert(n.inputs[0].node.clone());
        } else if !crate::graph::op_kind::is_training_or_io(&n.op) && !VARIABLE_OPS.contains(&n.op.as_str()) {
            roots.push(TensorRef::new(&n.name, 0));
        }
    }
    // Upstream of the roots through data edges (TF1 loops have cycles: no topological order).
    let mut seen = vec![false; g.nodes.len()];
    let mut todo: Vec<usize> = roots.iter().filter_map(|r| g.node_index(&r.node)).collect();
    while let Some(i) = todo.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        todo.extend(g.nodes[i].inputs.iter().filter_map(|r| g.node_index(&r.node)));
    }
    let needed = (0..g.nodes.len())
        .filter(|&i| seen[i] && VARIABLE_OPS.contains(&g.nodes[i].op.as_str()))
        .map(|i| g.nodes[i].name.clone())
        .collect();
    Ok(Uses { needed, read })
}

/// The nodes downstream of `start` (through data and control edges), `start` included.
fn downstream(g: &Graph, start: &HashSet<String>) -> HashSet<String> {
    let mut consumers: HashMap<&str, Vec<&str>> = HashMap::new();
    for n in &g.nodes {
        for p in n.inputs.iter().map(|r| r.node.as_str()).chain(n.controls.iter().map(|c| c.as_str())) {
            consumers.entry(p).or_default().push(n.name.as_str());
        }
    }
    let mut gone: HashSet<String> = HashSet::new();
    let mut todo: Vec<&str> = start.iter().map(|s| s.as_str()).collect();
    while let Some(n) = todo.pop() {
        if gone.insert(n.to_string()) {
            todo.extend(consumers.get(n).into_iter().flatten().copied());
        }
    }
    gone
}

/// Removes nodes and everything downstream of them (data and control edges).
pub fn remove_downstream(g: &mut Graph, start: &HashSet<String>) -> Result<()> {
    if start.is_empty() {
        return Ok(());
    }
    let gone = downstream(g, start);
    g.nodes.retain(|n| !gone.contains(&n.name));
    g.reindex()
}

/// Ops of savers (`tf.compat.v1.train.Saver`, TF2 save/restore functions once inlined).
const SAVER_OPS: [&str; 7] = ["SaveV2", "RestoreV2", "MergeV2Checkpoints", "Save", "SaveSlices", "Restore", "RestoreSlice"];

/// Removes every saver of the graph: its save and restore ops (and the `extra` nodes, a
/// SaverDef's), what depends on them, and what only they used (file names, key lists).
pub fn remove_savers(g: &mut Graph, extra: &[String]) -> Result<()> {
    let start: HashSet<String> = g
        .nodes
        .iter()
        .filter(|n| SAVER_OPS.contains(&n.op.as_str()) || extra.contains(&n.name))
        .map(|n| n.name.clone())
        .collect();
    if start.is_empty() {
        return Ok(());
    }
    let cone = downstream(g, &start);
    remove_with_orphans(g, &cone)
}

/// Removes nodes, then every node whose consumers were all removed (what only they used), as
/// far as it goes.
pub fn remove_with_orphans(g: &mut Graph, start: &HashSet<String>) -> Result<()> {
    let mut gone: HashSet<String> = start.iter().filter(|n| g.node(n).is_some()).cloned().collect();
    if gone.is_empty() {
        return Ok(());
    }
    let mut consumers: HashMap<String, Vec<String>> = HashMap::new();
    for n in &g.nodes {
        for r in n.inputs.iter().map(|r| &r.node).chain(n.controls.iter()) {
            consumers.entry(r.clone()).or_default().push(n.name.clone());
        }
    }
    let mut todo: Vec<String> = gone.iter().cloned().collect();
    while let Some(name) = todo.pop() {
        let Some(n) = g.node(&name) else { continue };
        for p in n.inputs.iter().map(|r| &r.node).chain(n.controls.iter()) {
            if gone.contains(p) {
                continue;
            }
            if consumers.get(p).is_some_and(|cs| cs.iter().all(|c| gone.contains(c))) {
                gone.insert(p.clone());
                todo.push(p.clone());
            }
        }
    }
    g.nodes.retain(|n| !gone.contains(&n.name));
    // Control edges from nodes that stay to nodes that went (a removed node may have been the
    // target of a control edge from a node that had other reasons to stay).
    for n in g.nodes.iter_mut() {
        n.controls.retain(|c| !gone.contains(c));
    }
    g.reindex()
}

fn type_attr(t: i32) -> AttrValue {
    AttrValue { value: Some(Value::Type(t)) }
}

/// Replaces variables by constants (TensorFlow's `convert_variables_to_constants` rewrite).
pub fn convert_to_constants(g: &mut Graph, values: Vec<(String, TensorProto)>) -> Result<()> {
    let mut consumers: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for (i, n) in g.nodes.iter().enumerate() {
        for (k, r) in n.inputs.iter().enumerate() {
            consumers.entry(r.node.clone()).or_default().push((i, k));
        }
    }
    let mut added: Vec<Node> = Vec::new();
    // Loops and conditionals that take a converted variable: (node, input, dtype, shape).
    let mut captured: Vec<(usize, usize, i32, Option<crate::proto::TensorShapeProto>)> = Vec::new();
    for (name, value) in values {
        let Some(vi) = g.node_index(&name) else { continue };
        let dtype = value.dtype;
        let value_shape = value.tensor_shape.clone();
        let var = &mut g.nodes[vi];
        let mut attrs = BTreeMap::new();
        attrs.insert("dtype".to_string(), type_attr(dtype));
        attrs.insert("value".to_string(), AttrValue { value: Some(Value::Tensor(value)) });
        *var = Node { name: var.name.clone(), op: "Const".into(), inputs: vec![], controls: vec![], attrs, device: String::new() };
        // Downstream: reads become plain ops; Identity-like nodes pass the handle on.
        let mut todo: Vec<String> = vec![name.clone()];
        let mut seen = HashSet::new();
        while let Some(src) = todo.pop() {
            if !seen.insert(src.clone()) {
                continue;
            }
            for &(ci, k) in consumers.get(&src).map(|v| v.as_slice()).unwrap_or(&[]) {
                let c = &mut g.nodes[ci];
                match c.op.as_str() {
                    "ReadVariableOp" => {
                        let mut attrs = BTreeMap::new();
                        attrs.insert("T".to_string(), type_attr(dtype));
                        if let Some(cls) = c.attrs.get("_class") {
                            attrs.insert("_class".to_string(), cls.clone());
                        }
                        c.op = "Identity".into();
                        c.inputs.truncate(1);
                        c.controls.clear();
                        c.attrs = attrs;
                    }
                    "ResourceGather" if k == 0 => {
                        if c.attr_opt_int("batch_dims")?.unwrap_or(0) != 0 {
                            return Err(c.err("batch_dims must be 0 to turn a ResourceGather into a GatherV2"));
                        }
                        let tindices = c.attrs.get("Tindices").cloned().unwrap_or_else(|| type_attr(DType::I32.to_tf()));
                        let it = match tindices.value {
                            Some(Value::Type(t)) => t,
                            _ => DType::I32.to_tf(),
                        };
                        let axis_name = format!("{}/axis", c.name);
                        let axis = Tensor::new(
                            DType::from_tf(it).unwrap_or(DType::I32),
                            vec![],
                            if it == DType::I64.to_tf() { Data::I64(vec![0]) } else { Data::I32(vec![0]) },
                        )?;
                        let mut aattrs = BTreeMap::new();
                        aattrs.insert("dtype".to_string(), tindices.clone());
                        aattrs.insert("value".to_string(), AttrValue { value: Some(Value::Tensor(encode_tensor(&axis))) });
                        added.push(Node { name: axis_name.clone(), op: "Const".into(), inputs: vec![], controls: vec![], attrs: aattrs, device: String::new() });
                        let mut attrs = BTreeMap::new();
                        attrs.insert("Tparams".to_string(), type_attr(dtype));
                        attrs.insert("Tindices".to_string(), tindices.clone());
                        attrs.insert("Taxis".to_string(), tindices);
                        if let Some(cls) = c.attrs.get("_class") {
                            attrs.insert("_class".to_string(), cls.clone());
                        }
                        c.op = "GatherV2".into();
                        c.inputs.truncate(2);
                        c.inputs.push(TensorRef::new(axis_name, 0));
                        c.controls.clear();
                        c.attrs = attrs;
                    }
                    "ResourceGatherNd" if k == 0 => {
                        let mut attrs = BTreeMap::new();
                        attrs.insert("Tparams".to_string(), type_attr(dtype));
                        if let Some(t) = c.attrs.get("Tindices") {
                            attrs.insert("Tindices".to_string(), t.clone());
                        }
                        c.op = "GatherNd".into();
                        c.inputs.truncate(2);
                        c.controls.clear();
                        c.attrs = attrs;
                    }
                    "While" | "StatelessWhile" | "If" | "StatelessIf" => {
                        let shape = value_shape.clone();
                        captured.push((ci, k, dtype, shape));
                    }
                    "Identity" | "Enter" | "Exit" | "NextIteration" | "Switch" | "_SwitchN" | "Merge" => {
                        let idx = if c.op == "Merge" { 0 } else { k };
                        if let Some(a) = c.attrs.get_mut("T") {
                            match &mut a.value {
                                Some(Value::Type(t)) if idx == 0 => *t = dtype,
                                Some(Value::List(l)) if idx < l.r#type.len() => l.r#type[idx] = dtype,
                                _ => {}
                            }
                        }
                        c.attrs.remove("_output_shapes");
                        todo.push(c.name.clone());
                    }
                    _ => {}
                }
            }
        }
    }
    for n in added {
        if g.node(&n.name).is_none() {
            g.push(n)?;
        }
    }
    for (ni, k, dtype, shape) in captured {
        convert_captured(g, ni, k, dtype, shape)?;
    }
    Ok(())
}

/// A loop or conditional whose input `k` was a resource variable and is now its value: its
/// body functions get a copy where that argument is the value (reads of it become Identity),
/// and the node's type (and shape) lists follow.
fn convert_captured(g: &mut Graph, ni: usize, k: usize, dtype: i32, shape: Option<crate::proto::TensorShapeProto>) -> Result<()> {
    use crate::proto::attr_value::ListValue;
    let node = g.nodes[ni].clone();
    let is_while = node.op.ends_with("While");
    // While: input k is argument k of cond and body (and output k of body). If: input 0 is the
    // condition, input k is argument k - 1 of both branches.
    let (arg, types_attr, funcs): (usize, &str, [&str; 2]) = if is_while {
        (k, "T", ["cond", "body"])
    } else if k > 0 {
        (k - 1, "Tin", ["then_branch", "else_branch"])
    } else {
        return Ok(());
    };
    match g.nodes[ni].attrs.get_mut(types_attr).and_then(|a| a.value.as_mut()) {
        Some(Value::List(l)) if arg < l.r#type.len() => {
            if l.r#type[arg] != DType::Resource.to_tf() {
                return Ok(());
            }
            l.r#type[arg] = dtype;
        }
        _ => return Err(node.err(format!("attribute '{types_attr}' does not list input {k}"))),
    }
    if is_while {
        for a in ["output_shapes", "_output_shapes"] {
            if let Some(Value::List(ListValue { shape: shapes, .. })) = g.nodes[ni].attrs.get_mut(a).and_then(|a| a.value.as_mut()) {
                if let (Some(s), Some(v)) = (shapes.get_mut(arg), shape.clone()) {
                    *s = v;
                }
            }
        }
    }
    let Some(lib) = g.library.as_mut() else { return Err(node.err("its functions are not in the graph's library")) };
    for attr in funcs {
        let Some(Value::Func(f)) = g.nodes[ni].attrs.get(attr).and_then(|a| a.value.clone()) else { continue };
        let Some(def) = lib.function.iter().find(|d| d.signature.as_ref().is_some_and(|s| s.name == f.name)).cloned() else {
            return Err(node.err(format!("function '{}' is not in the library", f.name)));
        };
        let new_name = format!("{}_wgtf_{}_{}", f.name, node.name.replace('/', "_"), arg);
        let mut def = def;
        let sig = def.signature.as_mut().expect("found by its signature");
        sig.name = new_name.clone();
        let Some(a) = sig.input_arg.get_mut(arg) else { return Err(node.err(format!("'{}' has no argument {arg}", f.name))) };
        a.r#type = dtype;
        a.type_attr.clear();
        let arg_name = a.name.clone();
        if is_while && attr == "body" {
            if let Some(o) = sig.output_arg.get_mut(arg) {
                o.r#type = dtype;
                o.type_attr.clear();
            }
        }
        // Reads of the argument become Identity; references to their `value` output follow.
        let mut reads = HashSet::new();
        for nd in def.node_def.iter_mut() {
            if nd.op == "ReadVariableOp" && nd.input.first().is_some_and(|i| *i == arg_name) {
                nd.op = "Identity".into();
                nd.input.truncate(1);
                nd.attr.clear();
                nd.attr.insert("T".into(), type_attr(dtype));
                reads.insert(nd.name.clone());
            }
        }
        for nd in def.node_def.iter_mut() {
            for i in nd.input.iter_mut() {
                if let Some((n, rest)) = i.split_once(':') {
                    if reads.contains(n) && rest.starts_with("value:") {
                        *i = format!("{n}:output:{}", &rest["value:".len()..]);
                    }
                }
            }
        }
        for v in def.ret.values_mut() {
            if let Some((n, rest)) = v.split_once(':') {
                if reads.contains(n) && rest.starts_with("value:") {
                    *v = format!("{n}:output:{}", &rest["value:".len()..]);
                }
            }
        }
        if !lib.function.iter().any(|d| d.signature.as_ref().is_some_and(|s| s.name == new_name)) {
            lib.function.push(def);
        }
        let renamed = crate::proto::NameAttrList { name: new_name, attr: f.attr.clone() };
        g.nodes[ni].attrs.insert(attr.to_string(), AttrValue { value: Some(Value::Func(renamed)) });
    }
    Ok(())
}

/// Restores the variables of `g` (see [`RestoreOptions`]): the ones the model needs (an error
/// naming each without a value, with its key) and the ones it reads otherwise, when they have a
/// value, become constants; the others (optimizer slots, steps) are removed with what uses them,
/// unread.
pub fn restore(g: &mut Graph, ckpt: Option<&Checkpoint>, plan: &Plan) -> Result<Vec<VariableInfo>> {
    let names: Vec<String> = variable_nodes(g).iter().map(|n| n.name.clone()).collect();
    let uses = variable_uses(g)?;
    let wanted: Vec<String> = names.iter().filter(|n| uses.needed.contains(*n) || uses.read.contains(*n)).cloned().collect();
    let values = plan.values(g, ckpt, &wanted)?;
    let mut missing = Vec::new();
    let mut unused: HashSet<String> = names.iter().filter(|n| !wanted.contains(n)).cloned().collect();
    let mut convert = Vec::new();
    let mut infos: Vec<VariableInfo> = names.iter().filter(|n| unused.contains(*n)).map(|n| plan.describe(g, n, ValueSource::Unused)).collect();
    for (name, value, mut info) in values {
        match value {
            Ok(v) => convert.push((name, v)),
            Err(why) if uses.needed.contains(&name) => missing.push(why),
            Err(_) => {
                info.source = ValueSource::Unused;
                unused.insert(name);
            }
        }
        infos.push(info);
    }
    if !missing.is_empty() {
        let n = missing.len();
        let shown: Vec<String> = missing.into_iter().take(8).collect();
        let more = if n > 8 { format!(" (+{} more)", n - 8) } else { String::new() };
        return Err(verr(format!("{}{more}", shown.join("; "))));
    }
    convert_to_constants(g, convert)?;
    remove_downstream(g, &unused)?;
    infos.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(infos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto;

    fn nd(name: &str, op: &str, inputs: &[&str], attrs: Vec<(&str, Value)>) -> proto::NodeDef {
        proto::NodeDef {
            name: name.into(),
            op: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            attr: attrs.into_iter().map(|(k, v)| (k.to_string(), AttrValue { value: Some(v) })).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn resource_reads_and_gathers_become_plain_ops() {
        let f = DType::F32.to_tf();
        let gd = proto::GraphDef {
            node: vec![
                nd("v", "VarHandleOp", &[], vec![("dtype", Value::Type(f))]),
                nd("ids", "Placeholder", &[], vec![]),
                nd("r", "ReadVariableOp", &["v", "^ids"], vec![("dtype", Value::Type(f))]),
                nd("h", "Identity", &["v"], vec![("T", Value::Type(DType::Resource.to_tf()))]),
                nd("g", "ResourceGather", &["h", "ids"], vec![("dtype", Value::Type(f)), ("Tindices", Value::Type(DType::I32.to_tf()))]),
            ],
            ..Default::default()
        };
        let mut g = Graph::from_graph_def(gd, None).unwrap();
        let t = Tensor::from_f32(vec![2], vec![1.0, 2.0]).unwrap();
        convert_to_constants(&mut g, vec![("v".into(), encode_tensor(&t))]).unwrap();
        g.check_inputs().unwrap();
        assert_eq!(g.node("v").unwrap().op, "Const");
        assert_eq!(g.node("v").unwrap().attr_tensor("value").unwrap().as_f32().unwrap(), &[1.0, 2.0]);
        let r = g.node("r").unwrap();
        assert_eq!((r.op.as_str(), r.controls.len()), ("Identity", 0));
        assert_eq!(g.node("h").unwrap().attr_dtype("T").unwrap(), DType::F32);
        let gn = g.node("g").unwrap();
        assert_eq!(gn.op, "GatherV2");
        assert_eq!(gn.inputs[2], TensorRef::new("g/axis", 0));
        assert_eq!(g.node("g/axis").unwrap().attr_tensor("value").unwrap().to_i64_vec().unwrap(), vec![0]);
    }

    #[test]
    fn saver_keys_follow_restore_ops_to_assignments() {
        let s = DType::String;
        let names = Tensor::new(s, vec![2], Data::Str(vec![b"v1".to_vec(), b"w".to_vec()])).unwrap();
        let gd = proto::GraphDef {
            node: vec![
                nd("other_v1", "VariableV2", &[], vec![]),
                nd("res", "VarHandleOp", &[], vec![]),
                nd("save/names", "Const", &[], vec![("value", Value::Tensor(encode_tensor(&names)))]),
                nd("save/RestoreV2", "RestoreV2", &["save/f", "save/names", "save/s"], vec![]),
                nd("save/Assign", "Assign", &["other_v1", "save/RestoreV2"], vec![]),
                nd("save/Identity", "Identity", &["save/RestoreV2:1"], vec![]),
                nd("save/AssignVariableOp", "AssignVariableOp", &["res", "save/Identity"], vec![]),
            ],
            ..Default::default()
        };
        let g = Graph::from_graph_def(gd, None).unwrap();
        let k = saver_keys(&g);
        assert_eq!(k.get("other_v1").map(|s| s.as_str()), Some("v1"));
        assert_eq!(k.get("res").map(|s| s.as_str()), Some("w"));
    }

    #[test]
    fn orphans_go_with_what_used_them() {
        let gd = proto::GraphDef {
            node: vec![
                nd("v", "VariableV2", &[], vec![]),
                nd("c", "Const", &[], vec![]),
                nd("save", "SaveV2", &["c", "v"], vec![]),
                nd("dep", "Identity", &["c", "^save"], vec![]),
                nd("read", "Identity", &["v"], vec![]),
            ],
            ..Default::default()
        };
        let mut g = Graph::from_graph_def(gd, None).unwrap();
        remove_with_orphans(&mut g, &["dep".to_string()].into()).unwrap();
        let names: Vec<&str> = g.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["v", "read"]);
    }
}
