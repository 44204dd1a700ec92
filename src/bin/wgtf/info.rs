//! `wgtf info`: what a model is made of (inputs, outputs, ops, variables, signatures), what it
//! cannot run, and optionally its plan.
use std::collections::BTreeMap;
use std::path::PathBuf;

use wgtf::graph::AttrShape;
use wgtf::{LoadOptions, Model};

use crate::context;

pub(crate) fn info(adapter: Option<usize>, path: &PathBuf, opts: &LoadOptions, plan: bool, verbose: bool) -> wgtf::Result<()> {
    let loaded = wgtf::import::load(path, opts)?;
    print_persisted(&loaded);
    let graph = loaded.graph;
    let reg = wgtf::ops::registry();
    println!("model: {} ({} nodes)", path.display(), graph.nodes.len());
    println!("inputs:");
    for n in graph.nodes.iter().filter(|n| wgtf::graph::op_kind::is_input(&n.op)) {
        let dt = n.attr_opt_dtype("dtype").ok().flatten().map(|d| d.to_string()).unwrap_or_else(|| "?".into());
        let shape = match n.attr_opt_shape("shape") {
            Ok(AttrShape::Dims(d)) => format!("[{}]", d.iter().map(|x| x.map_or("?".into(), |v| v.to_string())).collect::<Vec<_>>().join(", ")),
            _ => "unknown".into(),
        };
        println!("  {}:0  {dt} {shape}{}", n.name, if n.op == "PlaceholderWithDefault" { " (has a default)" } else { "" });
    }
    println!("likely outputs:");
    for n in graph.sinks() {
        if n.op != "NoOp" && n.op != "Const" {
            println!("  {}:0  ({})", n.name, n.op);
        }
    }
    let mut hist: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &graph.nodes {
        *hist.entry(n.op.as_str()).or_default() += 1;
    }
    println!("ops:");
    for (op, c) in &hist {
        println!("  {op:<28} {c:>5}{}", if reg.contains(op) { "" } else { "   (not supported)" });
    }
    // Everything it cannot run, as loading reports it: ops, and attribute values of supported ops,
    // in the graph and in the functions it calls.
    let mut unsupported = reg.unsupported(&graph.nodes);
    match wgtf::lower::pipeline::normalize(graph.clone()).and_then(|g| wgtf::lower::pipeline::unsupported_in_functions(&g, reg)) {
        Ok(u) => unsupported.extend(u),
        Err(e) => println!("functions: not checked ({e})"),
    }
    if unsupported.is_empty() {
        println!("unsupported: none");
    } else {
        println!("{}", wgtf::Error::Unsupported(unsupported));
    }
    // Loops, conditionals and calls: functions, and iterations when the plan unrolls them.
    for line in wgtf::lower::report::info_lines(&graph, reg) {
        println!("{line}");
    }
    if plan || verbose {
        let ctx = context(adapter)?;
        let before = ctx.pipelines_created();
        let model = Model::from_graph(&ctx, graph)?;
        let feeds: Vec<(String, wgtf::DType, Vec<usize>)> = model
            .inputs()
            .into_iter()
            .filter_map(|i| Some((i.name, i.dtype?, i.shape?.into_iter().map(|d| d.unwrap_or(1)).collect())))
            .collect();
        let outs = model.outputs();
        let f: Vec<(&str, wgtf::DType, Vec<usize>)> = feeds.iter().map(|(n, d, s)| (n.as_str(), *d, s.clone())).collect();
        let o: Vec<&str> = outs.iter().map(|s| s.as_str()).collect();
        let p = model.plan_summary(&f, &o)?;
        println!("plan (unknown dims taken as 1): {} dispatches, activations {} bytes planned, peak live {} bytes, {} pipelines compiled, weights {} bytes",
            p.dispatches, p.activation_bytes, p.peak_live_bytes, ctx.pipelines_created() - before, model.memory().weights);
        if p.syncs.is_empty() {
            println!("one submit per run: no data-dependent length is read by another op");
        }
        for (i, line) in p.syncs.iter().enumerate() {
            println!("  {}. {line}", i + 1);
        }
        if verbose {
            for (node, op, kernel) in &p.kernels {
                println!("  {node:<48} {op:<24} {kernel}");
            }
        }
    }
    Ok(())
}

/// What `wgtf info` shows of a checkpoint or SavedModel: variables and signatures.
fn print_persisted(l: &wgtf::import::Loaded) {
    let dims = |s: &Option<Vec<Option<usize>>>| match s {
        Some(d) => format!("[{}]", d.iter().map(|x| x.map_or("?".into(), |v| v.to_string())).collect::<Vec<_>>().join(", ")),
        None => "unknown".into(),
    };
    let dt = |d: Option<wgtf::DType>| d.map_or("?".to_string(), |d| d.to_string());
    match &l.kind {
        wgtf::import::ModelKind::GraphDef => {}
        wgtf::import::ModelKind::MetaGraph { meta } => println!("meta graph: {}", meta.display()),
        wgtf::import::ModelKind::SavedModel { dir, tags } => println!("SavedModel: {} (tags: {})", dir.display(), tags.join(", ")),
        wgtf::import::ModelKind::TfjsGraph { json, converted_by } => {
            println!("TF.js graph model: {}{}", json.display(), converted_by.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())
        }
    }
    if let Some(c) = &l.checkpoint {
        println!("checkpoint: {}", c.display());
    }
    if !l.variables.is_empty() {
        println!("variables:");
        for v in &l.variables {
            let note = match v.source {
                wgtf::import::ValueSource::Checkpoint if v.key != v.name => format!("  (key {})", v.key),
                wgtf::import::ValueSource::Checkpoint => String::new(),
                wgtf::import::ValueSource::Given => "  (value given)".into(),
                wgtf::import::ValueSource::Unused => "  (not needed: training only)".into(),
            };
            println!("  {}  {} {}  {}{note}", v.name, dt(v.dtype), dims(&v.shape), v.op);
        }
    }
    if !l.signatures.is_empty() {
        println!("signatures:");
        for s in &l.signatures {
            let mark = if l.signature.as_deref() == Some(s.key.as_str()) { " (used for names)" } else { "" };
            println!("  {}{mark}  {}", s.key, s.method);
            for (what, ts) in [("in ", &s.inputs), ("out", &s.outputs)] {
                for t in ts {
                    println!("    {what} {} -> {}  {} {}", t.key, t.tensor, dt(t.dtype), dims(&t.shape));
                }
            }
        }
    }
}
