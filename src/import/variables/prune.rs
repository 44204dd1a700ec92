//! How the graph uses its variables, and graph edits that remove nodes with what depends on
//! them (training-only variables, savers) or with what only they used.
use std::collections::{HashMap, HashSet};

use super::VARIABLE_OPS;
use crate::error::Result;
use crate::graph::{Graph, Node, TensorRef};

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
#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::variables::testing::nd;
    use crate::proto;

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
