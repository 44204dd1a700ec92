//! What `wgtf info` says about a graph's control flow: its loops, conditionals and calls, and
//! how a plan with the placeholders' shapes runs each.
use std::collections::HashSet;

use super::fold::fold_constants;
use super::pipeline::normalize;
use super::{compile, CompileRequest};
use crate::graph::function;
use crate::graph::op_kind;
use crate::graph::{Graph, Node, TensorRef};
use crate::ops::Registry;

/// Loops and conditionals of a graph (and of the functions it calls), one line each, for
/// `wgtf info`: node, op, functions, and body sizes.
pub fn describe(graph: &Graph) -> Vec<String> {
    let fns = function::reachable_functions(graph).unwrap_or_default();
    let size = |name: &str| fns.get(name).map(|f| format!("{name} ({} nodes)", f.body_len())).unwrap_or_else(|| name.to_string());
    let mut out = Vec::new();
    let mut visit = |where_: &str, n: &Node| {
        let called = function::called_functions(graph, n);
        if let Ok(Some(f)) = n.attr_opt_string("_wgtf_inlined") {
            out.push(format!("{where_}{} (call of {f}, inlined at load)", n.name));
            return;
        }
        let what = match n.op.as_str() {
            "While" | "StatelessWhile" => "loop",
            "If" | "StatelessIf" | "Case" | "StatelessCase" => "conditional",
            "PartitionedCall" | "StatefulPartitionedCall" => "call",
            _ if !called.is_empty() => "call",
            _ => return,
        };
        let mut line = format!("{where_}{} ({}, {what})", n.name, n.op);
        if let Ok(Some(frame)) = n.attr_opt_string("_wgtf_tf1_frame") {
            line.push_str(&format!(" from TF1 frame '{frame}'"));
        }
        if !called.is_empty() {
            line.push_str(": ");
            line.push_str(&called.iter().map(|c| size(c)).collect::<Vec<_>>().join(", "));
        }
        out.push(line);
    };
    for n in &graph.nodes {
        visit("", n);
    }
    for (name, f) in &fns {
        for n in &f.graph.nodes {
            visit(&format!("{name}: "), n);
        }
    }
    let switches = graph.nodes.iter().chain(fns.values().flat_map(|f| f.graph.nodes.iter())).filter(|n| n.op == "Switch" || n.op == "RefSwitch").count();
    if switches > 0 {
        out.push(format!("{switches} TF1 Switch nodes (tf.compat.v1.cond): the untaken side is pruned when the predicate is known when planning, else both sides run and Merge selects"));
    }
    out
}

/// Lines for `wgtf info`: the graph's loops, conditionals and calls (after TF1 frames are
/// converted), and how a plan with the placeholders' shapes (unknown dims taken as 1) runs
/// each: iterations unrolled, or a runtime loop.
pub fn info_lines(graph: &Graph, reg: &Registry) -> Vec<String> {
    let g = match normalize(graph.clone()) {
        Ok(g) => g,
        Err(e) => return vec![format!("control flow: not analysed ({e})")],
    };
    let structure = describe(&g);
    if structure.is_empty() {
        return Vec::new();
    }
    let mut out = vec!["control flow:".to_string()];
    out.extend(structure.into_iter().map(|l| format!("  {l}")));
    let feeds: Vec<(TensorRef, crate::tensor::DType, Vec<usize>)> = g
        .nodes
        .iter()
        .filter(|n| n.op == "Placeholder")
        .filter_map(|n| {
            let dt = n.attr_opt_dtype("dtype").ok().flatten()?;
            let shape = n.attr_opt_shape("shape").ok().and_then(|s| s.dims())?;
            Some((TensorRef::new(&n.name, 0), dt, shape.into_iter().map(|d| d.unwrap_or(1)).collect()))
        })
        .collect();
    let fetches: Vec<TensorRef> = g
        .sinks()
        .into_iter()
        .filter(|n| !op_kind::is_training_or_io(&n.op) && !matches!(n.op.as_str(), "Const" | "NoOp" | "Placeholder"))
        .map(|n| TensorRef::new(&n.name, 0))
        .collect();
    let planned = (|| {
        let order = g.prune(&fetches, &HashSet::new())?;
        let folded = fold_constants(&g, reg, &order)?;
        compile(&CompileRequest { graph: &g, registry: reg, folded: &folded, feeds: &feeds, fetches: &fetches })
    })();
    match planned {
        Ok(p) if p.loops.is_empty() => {}
        Ok(p) => {
            out.push("  planned with the placeholders' shapes (unknown dims as 1):".to_string());
            // A loop inside an unrolled loop is planned once per outer iteration: same lines once.
            let mut seen = HashSet::new();
            let lines: Vec<String> = p.loops.iter().map(|r| format!("    {r}")).filter(|l| seen.insert(l.clone())).collect();
            let shown = lines.len().min(40);
            out.extend(lines[..shown].iter().cloned());
            if lines.len() > shown {
                out.push(format!("    … {} more", lines.len() - shown));
            }
        }
        Err(e) => out.push(format!("  not planned with the placeholders' shapes: {e}")),
    }
    out
}
