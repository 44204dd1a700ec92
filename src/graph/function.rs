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
mod body;
mod inline;
mod outputs;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use super::{Graph, Node, TensorRef};
use crate::error::{Error, Result};
use crate::proto::{self, attr_value::Value, AttrValue, NameAttrList};
use crate::tensor::DType;
use body::from_def;
use inline::inline_in;
pub use inline::inline_calls;

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
mod testing {
    use crate::graph::Graph;
    use crate::proto::{self, op_def::ArgDef, FunctionDef, FunctionDefLibrary, NodeDef, OpDef};
    use crate::tensor::DType;

    pub(super) fn nd(name: &str, op: &str, inputs: &[&str]) -> NodeDef {
        NodeDef { name: name.into(), op: op.into(), input: inputs.iter().map(|s| s.to_string()).collect(), ..Default::default() }
    }
    pub(super) fn arg(name: &str) -> ArgDef {
        ArgDef { name: name.into(), r#type: DType::F32.to_tf(), ..Default::default() }
    }
    pub(super) fn fdef(name: &str, ins: &[&str], outs: &[(&str, &str)], nodes: Vec<NodeDef>) -> FunctionDef {
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

    pub(super) fn graph_with(lib: Vec<FunctionDef>, nodes: Vec<NodeDef>) -> Graph {
        let gd = proto::GraphDef { node: nodes, library: Some(FunctionDefLibrary { function: lib, gradient: vec![] }), ..Default::default() };
        Graph::from_graph_def(gd, None).unwrap()
    }
}
