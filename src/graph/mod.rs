//! The graph IR: nodes with typed attributes and tensor references, built from a GraphDef,
//! with pruning to what a set of fetches needs and a topological order.
mod attr;
mod decode;
pub mod function;
pub mod op_kind;

use std::collections::{BTreeMap, HashMap, HashSet};

pub use attr::AttrShape;
pub use decode::{decode_shape, decode_tensor};

use crate::error::{Error, Result};
use crate::proto;

/// A reference to one output of a node: `"op:1"`; `"op"` means `"op:0"`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorRef {
    pub node: String,
    pub index: usize,
}

impl TensorRef {
    pub fn new(node: impl Into<String>, index: usize) -> Self {
        TensorRef { node: node.into(), index }
    }

    /// Parses `"op"` or `"op:N"`. A leading `^` (control input) is rejected here.
    pub fn parse(s: &str) -> Result<TensorRef> {
        if s.is_empty() || s.starts_with('^') {
            return Err(Error::UnknownTensor(s.to_string()));
        }
        match s.rsplit_once(':') {
            Some((node, idx)) if !node.is_empty() && !idx.is_empty() && idx.bytes().all(|b| b.is_ascii_digit()) => {
                let index = idx.parse::<usize>().map_err(|_| Error::UnknownTensor(s.to_string()))?;
                Ok(TensorRef { node: node.to_string(), index })
            }
            _ => Ok(TensorRef { node: s.to_string(), index: 0 }),
        }
    }
}

impl std::fmt::Display for TensorRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.node, self.index)
    }
}

/// One node of the graph.
#[derive(Clone, Debug)]
pub struct Node {
    pub name: String,
    pub op: String,
    /// Data inputs, in order.
    pub inputs: Vec<TensorRef>,
    /// Control inputs (`^name`).
    pub controls: Vec<String>,
    pub attrs: BTreeMap<String, proto::AttrValue>,
    pub device: String,
}

impl Node {
    /// An error about this node.
    pub fn err(&self, msg: impl Into<String>) -> Error {
        Error::node(&self.name, &self.op, msg)
    }

    /// An error saying that planning needs the values of these inputs (indices into `inputs`),
    /// which are not known: the typed result the runtime specialises plans on
    /// ([`Error::NeedsValues`]).
    pub fn needs_values(&self, inputs: impl IntoIterator<Item = usize>, msg: impl Into<String>) -> Error {
        Error::NeedsValues { node: self.name.clone(), op: self.op.clone(), inputs: inputs.into_iter().collect(), msg: msg.into() }
    }

    /// The node as a NodeDef (for writing graphs back).
    pub fn to_node_def(&self) -> proto::NodeDef {
        let mut input: Vec<String> = self
            .inputs
            .iter()
            .map(|r| if r.index == 0 { r.node.clone() } else { r.to_string() })
            .collect();
        input.extend(self.controls.iter().map(|c| format!("^{c}")));
        proto::NodeDef {
            name: self.name.clone(),
            op: self.op.clone(),
            input,
            device: self.device.clone(),
            attr: self.attrs.clone(),
        }
    }
}

/// A graph: nodes in file order plus an index by name, and the function library.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    index: HashMap<String, usize>,
    pub library: Option<proto::FunctionDefLibrary>,
    pub versions: Option<proto::VersionDef>,
    /// Functions built by wgtf (TF1 loop frames converted to While bodies), by name; looked up
    /// before `library` (see [`function`]).
    pub functions: BTreeMap<String, std::sync::Arc<function::Function>>,
    /// Other names of tensors: a SavedModel signature's keys (`"output_0"` → `"call:0"`).
    pub aliases: BTreeMap<String, TensorRef>,
}

impl Graph {
    /// Decodes a serialized GraphDef.
    pub fn from_bytes(bytes: &[u8], prefix: Option<&str>) -> Result<Graph> {
        use prost::Message;
        let gd = proto::GraphDef::decode(bytes)
            .map_err(|source| Error::Decode { what: "GraphDef".into(), source })?;
        Graph::from_graph_def(gd, prefix)
    }

    /// Builds the IR from a GraphDef; `prefix` imports every node under `prefix/`.
    pub fn from_graph_def(gd: proto::GraphDef, prefix: Option<&str>) -> Result<Graph> {
        let prefix = prefix.filter(|p| !p.is_empty()).map(|p| p.trim_end_matches('/').to_string());
        let pre = |s: &str| match &prefix {
            Some(p) => format!("{p}/{s}"),
            None => s.to_string(),
        };
        let mut g = Graph { library: gd.library, versions: gd.versions, ..Default::default() };
        for nd in gd.node {
            if nd.name.is_empty() {
                return Err(Error::InvalidModel(format!("a node of op '{}' has no name", nd.op)));
            }
            let mut inputs = Vec::new();
            let mut controls = Vec::new();
            for inp in &nd.input {
                if let Some(c) = inp.strip_prefix('^') {
                    controls.push(pre(c));
                } else {
                    let r = TensorRef::parse(inp).map_err(|_| {
                        Error::node(&nd.name, &nd.op, format!("malformed input reference '{inp}'"))
                    })?;
                    inputs.push(TensorRef { node: pre(&r.node), index: r.index });
                }
            }
            let node = Node { name: pre(&nd.name), op: nd.op, inputs, controls, attrs: nd.attr, device: nd.device };
            g.push(node)?;
        }
        Ok(g)
    }

    /// Adds a node; a duplicate name is an error.
    pub fn push(&mut self, node: Node) -> Result<()> {
        if self.index.contains_key(&node.name) {
            return Err(Error::InvalidModel(format!("two nodes are named '{}'", node.name)));
        }
        self.index.insert(node.name.clone(), self.nodes.len());
        self.nodes.push(node);
        Ok(())
    }

    /// Rebuilds the name index after `nodes` was edited in place.
    pub fn reindex(&mut self) -> Result<()> {
        self.index.clear();
        for (i, n) in self.nodes.iter().enumerate() {
            if self.index.insert(n.name.clone(), i).is_some() {
                return Err(Error::InvalidModel(format!("two nodes are named '{}'", n.name)));
            }
        }
        Ok(())
    }

    /// The tensor a feed or fetch name designates: an alias (signature key), else `"op:N"`.
    pub fn resolve(&self, name: &str) -> Result<TensorRef> {
        match self.aliases.get(name) {
            Some(r) => Ok(r.clone()),
            None => TensorRef::parse(name),
        }
    }

    pub fn node(&self, name: &str) -> Option<&Node> {
        self.index.get(name).map(|&i| &self.nodes[i])
    }
    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// Checks that every input names an existing node.
    pub fn check_inputs(&self) -> Result<()> {
        for n in &self.nodes {
            for r in &n.inputs {
                if !self.index.contains_key(&r.node) {
                    return Err(n.err(format!("input '{r}' names no node of the graph")));
                }
            }
            for c in &n.controls {
                if !self.index.contains_key(c) {
                    return Err(n.err(format!("control input '^{c}' names no node of the graph")));
                }
            }
        }
        Ok(())
    }

    /// Nodes that no other node consumes (the likely outputs).
    pub fn sinks(&self) -> Vec<&Node> {
        let mut used = HashSet::new();
        for n in &self.nodes {
            for r in &n.inputs {
                used.insert(r.node.as_str());
            }
            for c in &n.controls {
                used.insert(c.as_str());
            }
        }
        self.nodes.iter().filter(|n| !used.contains(n.name.as_str())).collect()
    }

    /// Indices of the nodes needed to compute `fetches`, in topological order (producers first).
    /// Tensors in `fed` are given by the caller, so what computes them is not needed.
    /// Control edges are not followed: inference results do not depend on them.
    pub fn prune(&self, fetches: &[TensorRef], fed: &HashSet<TensorRef>) -> Result<Vec<usize>> {
        // Iterative DFS with colours: 0 = unseen, 1 = on the stack, 2 = done.
        let mut colour = vec![0u8; self.nodes.len()];
        let mut order = Vec::new();
        for f in fetches {
            let Some(&root) = self.index.get(&f.node) else {
                return Err(Error::UnknownTensor(f.to_string()));
            };
            if fed.contains(f) || colour[root] == 2 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            colour[root] = 1;
            while let Some(&mut (ni, ref mut next)) = stack.last_mut() {
                let node = &self.nodes[ni];
                if *next < node.inputs.len() {
                    let r = &node.inputs[*next];
                    *next += 1;
                    if fed.contains(r) {
                        continue;
                    }
                    let Some(&pi) = self.index.get(&r.node) else {
                        return Err(node.err(format!("input '{r}' names no node of the graph")));
                    };
                    match colour[pi] {
                        0 => {
                            colour[pi] = 1;
                            stack.push((pi, 0));
                        }
                        1 => {
                            return Err(node.err(format!(
                                "the graph has a cycle through '{}' (loops need While or TF1 frame ops)",
                                self.nodes[pi].name
                            )))
                        }
                        _ => {}
                    }
                } else {
                    colour[ni] = 2;
                    order.push(ni);
                    stack.pop();
                }
            }
        }
        Ok(order)
    }

    /// The graph as a GraphDef.
    pub fn to_graph_def(&self) -> proto::GraphDef {
        proto::GraphDef {
            node: self.nodes.iter().map(Node::to_node_def).collect(),
            versions: self.versions.clone(),
            version: 0,
            library: self.library.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, op: &str, inputs: &[&str]) -> proto::NodeDef {
        proto::NodeDef {
            name: name.into(),
            op: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn tensor_refs() {
        assert_eq!(TensorRef::parse("a").unwrap(), TensorRef::new("a", 0));
        assert_eq!(TensorRef::parse("a/b:2").unwrap(), TensorRef::new("a/b", 2));
        assert_eq!(TensorRef::parse("a:b").unwrap(), TensorRef::new("a:b", 0));
        assert!(TensorRef::parse("^a").is_err());
        assert!(TensorRef::parse("").is_err());
    }

    #[test]
    fn prune_orders_and_cuts_at_feeds() {
        let gd = proto::GraphDef {
            node: vec![
                node("x", "Placeholder", &[]),
                node("c", "Const", &[]),
                node("unused", "Const", &[]),
                node("add", "AddV2", &["x", "c:0", "^unused"]),
                node("out", "Relu", &["add"]),
            ],
            ..Default::default()
        };
        let g = Graph::from_graph_def(gd, None).unwrap();
        let order = g.prune(&[TensorRef::new("out", 0)], &HashSet::new()).unwrap();
        let names: Vec<&str> = order.iter().map(|&i| g.nodes[i].name.as_str()).collect();
        assert_eq!(names, ["x", "c", "add", "out"]);
        let fed: HashSet<_> = [TensorRef::new("add", 0)].into();
        let order = g.prune(&[TensorRef::new("out", 0)], &fed).unwrap();
        assert_eq!(order.len(), 1);
    }

    #[test]
    fn cycles_missing_inputs_and_duplicates_are_errors() {
        let gd = proto::GraphDef {
            node: vec![node("a", "Relu", &["b"]), node("b", "Relu", &["a"])],
            ..Default::default()
        };
        let g = Graph::from_graph_def(gd, None).unwrap();
        let e = g.prune(&[TensorRef::new("a", 0)], &HashSet::new()).unwrap_err().to_string();
        assert!(e.contains("cycle"), "{e}");

        let gd = proto::GraphDef { node: vec![node("a", "Relu", &["nope"])], ..Default::default() };
        let g = Graph::from_graph_def(gd, None).unwrap();
        let e = g.check_inputs().unwrap_err().to_string();
        assert!(e.contains("'a'") && e.contains("nope"), "{e}");

        let gd = proto::GraphDef { node: vec![node("a", "Const", &[]), node("a", "Const", &[])], ..Default::default() };
        assert!(Graph::from_graph_def(gd, None).is_err());
    }

    #[test]
    fn prefix_applies_to_names_and_inputs() {
        let gd = proto::GraphDef {
            node: vec![node("x", "Placeholder", &[]), node("y", "Relu", &["x", "^x"])],
            ..Default::default()
        };
        let g = Graph::from_graph_def(gd, Some("m1")).unwrap();
        let y = g.node("m1/y").unwrap();
        assert_eq!(y.inputs[0], TensorRef::new("m1/x", 0));
        assert_eq!(y.controls, vec!["m1/x".to_string()]);
    }
}
