//! Load-time constant folding: every tensor that depends only on constants is computed on the
//! CPU once, and the constants that kernels read are marked for upload.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::graph::{Graph, TensorRef};
use crate::ops::{BuiltOps, Registry, TensorInfo};
use crate::tensor::{num_elements, Tensor};

/// What loading computed for a graph: its constants after folding, and its nodes' ops.
#[derive(Clone, Debug, Default)]
pub struct Folded {
    /// Every tensor whose value is known without feeds.
    pub values: HashMap<TensorRef, Arc<Tensor>>,
    /// Those that some kernel reads: uploaded to the GPU once, at load.
    pub device: HashSet<TensorRef>,
    /// The ops of the nodes folding considered, built once (their attributes decoded); plans
    /// of the graph use them.
    pub ops: BuiltOps,
}

/// Folds whose outputs hold more elements than this are left to the GPU: a few bytes of model
/// (a OneHot depth, a Fill shape) must not make the CPU allocate gigabytes.
pub const MAX_FOLD_ELEMENTS: usize = 1 << 26;

/// Whether outputs (as inferred) are too large to compute on the CPU.
pub(crate) fn too_large_to_fold(outs: &[TensorInfo]) -> bool {
    let n = outs.iter().map(|o| num_elements(&o.shape).unwrap_or(usize::MAX)).fold(0usize, usize::saturating_add);
    n > MAX_FOLD_ELEMENTS
}

/// Builds the ops of the nodes in `order` (a topological order of the nodes to consider) and
/// folds the constant part of `graph`. What wgtf cannot run among them is one
/// [`Error::Unsupported`].
pub fn fold_constants(graph: &Graph, registry: &Registry, order: &[usize]) -> Result<Folded> {
    let ops = registry.build_all(order.iter().map(|&i| &graph.nodes[i])).map_err(Error::Unsupported)?;
    fold_with(graph, registry, ops, order)
}

/// Folds the constant part of `graph` with its nodes' ops built.
pub(crate) fn fold_with(graph: &Graph, registry: &Registry, ops: BuiltOps, order: &[usize]) -> Result<Folded> {
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
        let Some(op) = ops.get(&node.name) else { continue };
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
        let op = ops.get(&node.name);
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
    Ok(Folded { values, device, ops })
}
