//! Load-time constant folding: every tensor that depends only on constants is computed on the
//! CPU once, and the constants that kernels read are marked for upload.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::error::Result;
use crate::graph::{Graph, TensorRef};
use crate::ops::Registry;
use crate::tensor::Tensor;

/// The constants of a graph after folding.
#[derive(Clone, Debug, Default)]
pub struct Folded {
    /// Every tensor whose value is known without feeds.
    pub values: HashMap<TensorRef, Arc<Tensor>>,
    /// Those that some kernel reads: uploaded to the GPU once, at load.
    pub device: HashSet<TensorRef>,
}

/// Ops whose value may change between runs or that can be fed: never folded.
fn never_fold(op: &str) -> bool {
    matches!(op, "Placeholder" | "PlaceholderWithDefault" | "PlaceholderV2")
}

/// Folds the constant part of `graph`. `order` is a topological order of the nodes to consider.
pub fn fold_constants(graph: &Graph, registry: &Registry, order: &[usize]) -> Result<Folded> {
    let mut values: HashMap<TensorRef, Arc<Tensor>> = HashMap::new();
    let mut folded_nodes: HashSet<usize> = HashSet::new();
    for &ni in order {
        let node = &graph.nodes[ni];
        if node.op == "Const" {
            let t = node.attr_tensor("value")?;
            values.insert(TensorRef::new(&node.name, 0), t);
            folded_nodes.insert(ni);
            continue;
        }
        if never_fold(&node.op) || node.inputs.is_empty() {
            continue;
        }
        let Some(op) = registry.get(&node.op) else { continue };
        let Some(inputs) = node.inputs.iter().map(|r| values.get(r).cloned()).collect::<Option<Vec<_>>>() else {
            continue;
        };
        // A fold that fails here is left to the GPU path, where the error (if any) is reported
        // when a run needs the node.
        if let Some(Ok(outs)) = op.fold(node, &inputs) {
            for (i, t) in outs.into_iter().enumerate() {
                values.insert(TensorRef::new(&node.name, i), t);
            }
            folded_nodes.insert(ni);
        }
    }
    let mut device = HashSet::new();
    for &ni in order {
        if folded_nodes.contains(&ni) {
            continue;
        }
        let node = &graph.nodes[ni];
        let Some(op) = registry.get(&node.op) else { continue };
        for (i, r) in node.inputs.iter().enumerate() {
            if values.contains_key(r) && !op.is_host_input(node, i) {
                device.insert(r.clone());
            }
        }
    }
    Ok(Folded { values, device })
}
