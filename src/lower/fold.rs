//! Load-time constant folding: every tensor that depends only on constants is computed on the
//! CPU once, and the constants that kernels read are marked for upload.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::error::Result;
use crate::graph::{Graph, TensorRef};
use crate::ops::{Registry, TensorInfo};
use crate::tensor::{num_elements, Tensor};

/// The constants of a graph after folding.
#[derive(Clone, Debug, Default)]
pub struct Folded {
    /// Every tensor whose value is known without feeds.
    pub values: HashMap<TensorRef, Arc<Tensor>>,
    /// Those that some kernel reads: uploaded to the GPU once, at load.
    pub device: HashSet<TensorRef>,
}

/// Folds whose outputs hold more elements than this are left to the GPU: a few bytes of model
/// (a OneHot depth, a Fill shape) must not make the CPU allocate gigabytes.
pub const MAX_FOLD_ELEMENTS: usize = 1 << 26;

/// Whether outputs (as inferred) are too large to compute on the CPU.
pub(crate) fn too_large_to_fold(outs: &[TensorInfo]) -> bool {
    let n = outs.iter().map(|o| num_elements(&o.shape).unwrap_or(usize::MAX)).fold(0usize, usize::saturating_add);
    n > MAX_FOLD_ELEMENTS
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
        if crate::graph::op_kind::is_placeholder(&node.op) || node.inputs.is_empty() {
            continue;
        }
        let Some(op) = registry.get(&node.op) else { continue };
        let Some(inputs) = node.inputs.iter().map(|r| values.get(r).cloned()).collect::<Option<Vec<_>>>() else {
            continue;
        };
        // A fold that fails here is left to the GPU path, where the error (if any) is reported
        // when a run needs the node. `infer` checks the inputs (count, dtypes, shapes) first:
        // folds rely on it, as kernels do.
        let infos: Vec<TensorInfo> = inputs.iter().map(|t| TensorInfo::known(t.clone())).collect();
        match op.infer(node, &infos) {
            Ok(outs) if !too_large_to_fold(&outs) => {}
            _ => continue,
        }
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
        // The planner's own ops (control flow) read their host inputs as op_kind says.
        let op = registry.get(&node.op);
        if op.is_none() && !registry.is_planned(&node.op) {
            continue;
        }
        let host = |i| op.map_or_else(|| crate::graph::op_kind::is_host_input(&node.op, i), |op| op.is_host_input(node, i));
        for (i, r) in node.inputs.iter().enumerate() {
            if values.contains_key(r) && !host(i) {
                device.insert(r.clone());
            }
        }
    }
    Ok(Folded { values, device })
}
