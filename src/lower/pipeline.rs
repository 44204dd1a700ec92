//! The load-time pipeline, in order: normalise (function calls inlined, TF1 loop frames turned
//! into While loops), check that every op is supported (listing all that are not), fold
//! constants, fuse (kernels with epilogues, folded batch norms), fold again. Plans are then made
//! per feed signature by [`super::compile`].
use std::collections::{HashMap, HashSet};

use super::fold::{fold_with, Folded};
use crate::error::{Error, Result, Unsupported};
use crate::graph::function;
use crate::graph::op_kind;
use crate::graph::{Graph, TensorRef};
use crate::ops::Registry;
use crate::tensor::{DType, Tensor};

/// A graph ready for planning: the optimized graph that plans use, and the graph as normalised
/// (plans fall back to it for tensors that fusion removed), each with its folded constants.
pub struct LoweredGraph {
    pub graph: Graph,
    pub folded: Folded,
    pub original: Graph,
    /// The original graph's folded values (none marked for upload: plans upload what they read).
    pub original_folded: Folded,
}

/// Runs the load-time pipeline on a graph (see the module's documentation).
pub fn lower_graph(graph: Graph, reg: &Registry) -> Result<LoweredGraph> {
    // Function calls inlined, TF1 loop frames turned into While loops.
    let graph = normalize(graph)?;
    let order = inference_order(&graph)?;
    // Everything it cannot run, in one list: ops and attribute values, in the graph and in
    // the functions it calls.
    // Building every node's op (its attributes decoded once) is the check.
    let built = reg.build_all(order.iter().map(|&i| &graph.nodes[i]));
    let mut unsupported = built.as_ref().err().cloned().unwrap_or_default();
    unsupported.extend(unsupported_in_functions(&graph, reg)?);
    let (Ok(ops), true) = (built, unsupported.is_empty()) else {
        return Err(Error::Unsupported(unsupported));
    };
    let original_folded = fold_with(&graph, reg, ops, &order)?;
    // The optimized graph (fused kernels, folded batch norms) serves every plan whose feeds
    // and fetches it still has; others plan with the original graph, whose constants are
    // then uploaded with the plan.
    let opt = super::fuse::optimize(&graph, &original_folded.values, reg);
    let opt_order = inference_order(&opt)?;
    // The optimized graph's ops (fused nodes are new): built once, like the original's.
    let opt_ops = reg.build_all(opt_order.iter().map(|&i| &opt.nodes[i])).map_err(Error::Unsupported)?;
    let folded = fold_with(&opt, reg, opt_ops, &opt_order)?;
    let original_folded = Folded { values: original_folded.values, device: HashSet::new(), ops: original_folded.ops };
    Ok(LoweredGraph { graph: opt, folded, original: graph, original_folded })
}

/// Prepares a graph for planning: inlines function calls and turns TF1 loop frames into While
/// loops.
pub fn normalize(mut graph: Graph) -> Result<Graph> {
    function::inline_calls(&mut graph)?;
    super::control::frames::convert_frames(&mut graph)?;
    Ok(graph)
}

/// What the functions a graph calls hold that wgtf cannot run (ops, attribute values), their
/// nodes named `function/node`.
pub fn unsupported_in_functions(graph: &Graph, registry: &Registry) -> Result<Vec<Unsupported>> {
    let mut out = Vec::new();
    for (fname, f) in function::reachable_functions(graph)? {
        let nodes = f.graph.nodes.iter().filter(|n| n.op != function::ARG_OP && !function::has_function(graph, &n.op));
        out.extend(registry.unsupported(nodes).into_iter().map(|mut u| {
            u.node = format!("{fname}/{}", u.node);
            u
        }));
    }
    Ok(out)
}

/// A topological order of the nodes that inference can need: everything upstream of the sinks
/// that are not training, saving or summary ops.
pub fn inference_order(graph: &Graph) -> Result<Vec<usize>> {
    let roots: Vec<TensorRef> = graph
        .sinks()
        .into_iter()
        .filter(|n| !op_kind::is_training_or_io(&n.op))
        .map(|n| TensorRef::new(&n.name, 0))
        .collect();
    // Inputs of ignored sinks that come from other nodes are roots too (e.g. what an Assign reads
    // is not needed, but an Identity consumed only by a NoOp's control edge is a fetchable output).
    graph.prune(&roots, &HashSet::new())
}

/// The most elements of a feed whose value a plan may be specialised on.
pub const MAX_VALUE_FEED: usize = 64;

/// Feeds (indices, not yet in `have`) that the tensors a failed plan needed the values of
/// ([`Error::NeedsValues`]: a node and its input indices) follow from, small enough to specialise
/// a plan on. Empty for any other error, or when no small feed explains it.
pub fn value_candidates(g: &Graph, err: &Error, feeds: &[(TensorRef, DType, Vec<usize>)], given: &[(&str, &Tensor)], have: &[usize]) -> Vec<usize> {
    let Error::NeedsValues { node, inputs, .. } = err else { return Vec::new() };
    let Some(node) = g.node(node) else { return Vec::new() };
    let fed: HashMap<&str, Vec<usize>> = feeds.iter().enumerate().fold(HashMap::new(), |mut m, (k, f)| {
        m.entry(f.0.node.as_str()).or_default().push(k);
        m
    });
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut stack: Vec<&str> = inputs.iter().filter_map(|&i| node.inputs.get(i)).map(|r| r.node.as_str()).collect();
    while let Some(n) = stack.pop() {
        if !seen.insert(n) {
            continue;
        }
        if let Some(ks) = fed.get(n) {
            out.extend(ks.iter().filter(|&&k| !have.contains(&k) && given.get(k).is_some_and(|(_, t)| t.len() <= MAX_VALUE_FEED)));
            continue;
        }
        if let Some(nd) = g.node(n) {
            stack.extend(nd.inputs.iter().map(|r| r.node.as_str()));
        }
    }
    out.sort_unstable();
    out
}
