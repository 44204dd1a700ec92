//! Freezing: a checkpoint, meta graph or SavedModel becomes one GraphDef whose variables are
//! constants, cut down to what the outputs need — what TensorFlow's
//! `convert_variables_to_constants` makes: the nodes the outputs reach through data, control
//! and colocation (`_class: loc:@…`) edges, in their original order, with every variable
//! (filtered by the allow/deny lists) replaced by a Const of its checkpoint value.
use std::collections::{HashMap, HashSet};
use std::path::Path;

use prost::Message;

use super::variables::{self, RestorePlan};
use super::{meta_graph, read_model};
use crate::error::{Error, Result};
use crate::graph::{Graph, TensorRef};
use crate::proto::{self, attr_value::Value, AttrValue};
use super::LoadOptions;

/// What to freeze.
#[derive(Clone, Debug, Default)]
pub struct FreezeOptions {
    /// Output node names (`name` or `name:0`; signature keys are accepted too).
    pub outputs: Vec<String>,
    /// Convert only these variables (`variable_names_whitelist`); `None`: all.
    pub allow: Option<Vec<String>>,
    /// Never convert these (`variable_names_blacklist`); they stay variables.
    pub deny: Vec<String>,
}

/// The names of the nodes `outputs` reach through inputs, control inputs and colocation
/// constraints, in graph order (TensorFlow's `extract_sub_graph`).
pub fn extract_sub_graph(g: &Graph, outputs: &[String]) -> Result<Vec<usize>> {
    let mut keep = vec![false; g.nodes.len()];
    let mut todo: Vec<usize> = Vec::new();
    for o in outputs {
        let i = g.node_index(o).ok_or_else(|| Error::UnknownTensor(o.clone()))?;
        todo.push(i);
    }
    while let Some(i) = todo.pop() {
        if std::mem::replace(&mut keep[i], true) {
            continue;
        }
        let n = &g.nodes[i];
        let colocated = n
            .attr_opt_strings("_class")
            .ok()
            .flatten()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| s.strip_prefix("loc:@").map(str::to_string));
        let refs: Vec<String> = n.inputs.iter().map(|r| r.node.clone()).chain(n.controls.iter().cloned()).chain(colocated).collect();
        for r in refs {
            match g.node_index(&r) {
                Some(j) => todo.push(j),
                None => return Err(n.err(format!("input '{r}' names no node of the graph"))),
            }
        }
    }
    Ok((0..g.nodes.len()).filter(|&i| keep[i]).collect())
}

/// An output name as a node name: `name:0` → `name`; a signature key → its tensor's node.
fn output_node(g: &Graph, name: &str) -> Result<String> {
    if let Some(r) = g.aliases.get(name) {
        return Ok(r.node.clone());
    }
    let r = TensorRef::parse(name)?;
    if g.node(&r.node).is_none() {
        return Err(Error::UnknownTensor(name.to_string()));
    }
    Ok(r.node)
}

/// Freezes the model at `path` (see [`FreezeOptions`]) into a GraphDef.
pub fn freeze(path: &Path, opts: &LoadOptions, f: &FreezeOptions) -> Result<proto::GraphDef> {
    let p = read_model(path, opts)?;
    let tfjs = matches!(p.kind, super::ModelKind::TfjsGraph { .. });
    if f.outputs.is_empty() && !tfjs {
        return Err(Error::Other("freeze: no output nodes given".into()));
    }
    let scope = opts.prefix.as_deref().filter(|s| !s.is_empty());
    let mut g = p.graph;
    let sig = meta_graph::pick_signature(&p.signatures, opts.signature.as_deref())?;
    if let Some(s) = sig {
        g.aliases = meta_graph::aliases(s)?;
    }
    // A TF.js model's outputs default to its signature's, else to the nodes nothing consumes.
    let outputs: Vec<String> = if f.outputs.is_empty() {
        match sig {
            Some(s) => s.outputs.iter().map(|t| t.tensor.clone()).collect(),
            None => g.sinks().iter().filter(|n| n.op != "Const" && n.op != "NoOp").map(|n| n.name.clone()).collect(),
        }
    } else {
        f.outputs.clone()
    };
    let outputs = outputs.iter().map(|o| output_node(&g, o)).collect::<Result<Vec<_>>>()?;
    let keep = extract_sub_graph(&g, &outputs)?;
    let nodes: Vec<_> = keep.into_iter().map(|i| g.nodes[i].clone()).collect();
    g.nodes = nodes;
    g.reindex()?;

    // Which variables to convert.
    let all: Vec<String> = variables::variable_nodes(&g).iter().map(|n| n.name.clone()).collect();
    let named = |list: &[String], v: &str| list.iter().any(|n| n == v || variables::unscoped(v, scope) == n);
    let convert: Vec<String> = all
        .iter()
        .filter(|v| f.allow.as_ref().is_none_or(|a| named(a, v)) && !named(&f.deny, v))
        .cloned()
        .collect();
    let plan = RestorePlan { opts: &opts.restore, scope, keys: p.keys };
    let mut values = Vec::new();
    let mut missing = Vec::new();
    for (name, v, _) in plan.values(&g, p.ckpt.as_ref(), &convert)? {
        match v {
            Ok(v) => values.push((name, v)),
            Err(why) => missing.push(why),
        }
    }
    if !missing.is_empty() {
        return Err(Error::Restore(missing.join("; ")));
    }
    variables::convert_to_constants(&mut g, values)?;
    finish_inlined(&mut g);
    // The TF.js converter's ops, as the TensorFlow ops they stand for.
    if tfjs {
        super::tfjs::to_tf::rewrite_for_tensorflow(&mut g)?;
    }
    let used: HashSet<String> = g.nodes.iter().flat_map(|n| crate::graph::function::called_functions(&g, n)).collect();
    let mut gd = g.to_graph_def();
    if let Some(lib) = gd.library.as_mut() {
        lib.function.retain(|f| f.signature.as_ref().is_some_and(|s| used.contains(&s.name)));
        lib.gradient.clear();
    }
    if gd.library.as_ref().is_some_and(|l| l.function.is_empty()) {
        gd.library = None;
    }
    Ok(gd)
}

/// Inlined calls are `IdentityN` nodes: give them the `T` attribute TensorFlow needs (the
/// called function's output types) and drop wgtf's marker.
fn finish_inlined(g: &mut Graph) {
    let outs: HashMap<String, Vec<i32>> = g
        .library
        .iter()
        .flat_map(|l| &l.function)
        .filter_map(|f| {
            let s = f.signature.as_ref()?;
            let types: Vec<i32> = s.output_arg.iter().map(|a| a.r#type).collect();
            types.iter().all(|&t| t != 0).then(|| (s.name.clone(), types))
        })
        .collect();
    for n in g.nodes.iter_mut() {
        let Some(fname) = n.attr_opt_string("_wgtf_inlined").ok().flatten() else { continue };
        n.attrs.remove("_wgtf_inlined");
        if let Some(types) = outs.get(&fname).filter(|t| t.len() == n.inputs.len()) {
            let list = proto::attr_value::ListValue { r#type: types.clone(), ..Default::default() };
            n.attrs.insert("T".into(), AttrValue { value: Some(Value::List(list)) });
        }
    }
}

/// [`freeze`], written to a file.
pub fn freeze_to_file(path: &Path, opts: &LoadOptions, f: &FreezeOptions, out: &Path) -> Result<proto::GraphDef> {
    let gd = freeze(path, opts, f)?;
    std::fs::write(out, gd.encode_to_vec()).map_err(|e| Error::io(out, e))?;
    Ok(gd)
}
