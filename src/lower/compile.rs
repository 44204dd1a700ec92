//! Plans one run: prunes the graph to the fetches, infers shapes from the feed shapes, folds
//! what depends only on constants and shapes, and lowers the rest to kernels.
//!
//! The same per-node evaluation serves the main graph and function bodies (While/If bodies,
//! see `control/`): a value is a tensor ([`Known`]: its dtype, shape, value when known at
//! plan time, and program tensor once it lives on the GPU), a plan-time TensorList, or dead
//! (the untaken side of a TF1 `Switch`).
use std::collections::HashSet;
use std::sync::Arc;

use super::fold::Folded;
use super::planner::{Env, Known, Planner, Val};
use crate::error::{Error, Result};
use crate::graph::{Graph, TensorRef};
use crate::kernel::steps::{self};
use crate::kernel::{Fetch, ProgTensor, Program, Source, Storage, SyncPoint, SyncRead};
use crate::ops::Registry;
use crate::tensor::{DType, Tensor};

/// What to plan.
pub struct CompileRequest<'a> {
    pub graph: &'a Graph,
    pub registry: &'a Registry,
    pub folded: &'a Folded,
    /// Fed tensors with their dtype and shape.
    pub feeds: &'a [(TensorRef, DType, Vec<usize>)],
    pub fetches: &'a [TensorRef],
}

/// The program planned so far, stopping at `point`.
fn paused(p: Planner, point: SyncPoint) -> Program {
    let Planner { mut prog, loops, reports, resolved, .. } = p;
    prog.lengths.retain(|(t, _, _)| !resolved.contains_key(t));
    prog.pause = Some(point);
    steps::finish(&mut prog, loops, reports);
    prog
}

/// Lowers the part of the graph that computes `fetches` from `feeds`.
pub fn compile(req: &CompileRequest) -> Result<Program> {
    compile_for(req, &crate::kernel::Target::default())
}

/// Lowers for an adapter described by `target` (kernel choices only; results are the same).
pub fn compile_for(req: &CompileRequest, target: &crate::kernel::Target) -> Result<Program> {
    compile_valued(req, target, &[])
}

/// Like [`compile_for`], with the values of some feeds known when planning (small feeds that
/// shape computations read, e.g. `tf.range(n)`): they fold like constants, so the program is
/// only valid for those values.
pub fn compile_valued(req: &CompileRequest, target: &crate::kernel::Target, values: &[(TensorRef, Arc<Tensor>)]) -> Result<Program> {
    compile_with(req, target, values, &Syncs::default())
}

/// What the runs of earlier plans read back at sync points (see [`SyncPoint`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Syncs<'a> {
    /// One list per sync point, in the order planning meets them.
    pub read: &'a [Vec<Arc<Tensor>>],
    /// Whether an op's host input computed on the GPU makes a sync point (else planning fails
    /// there, and the caller may specialise on small feeds instead: one submit per run).
    pub read_values: bool,
}

/// Like [`compile_valued`], with what the sync points before this plan read back. When
/// planning meets a sync point beyond them, the program stops there (`Program::pause`): run
/// it, read back what the point needs, and plan again with it.
pub fn compile_with(req: &CompileRequest, target: &crate::kernel::Target, values: &[(TensorRef, Arc<Tensor>)], syncs: &Syncs) -> Result<Program> {
    let graph = req.graph;
    let fed: HashSet<TensorRef> = req.feeds.iter().map(|(r, _, _)| r.clone()).collect();
    let order = graph.prune(req.fetches, &fed)?;

    // Nodes whose ops were built at load passed this check then.
    let unsupported = req.registry.unsupported(order.iter().map(|&i| &graph.nodes[i]).filter(|n| req.folded.ops.get(&n.name).is_none()));
    if !unsupported.is_empty() {
        return Err(Error::Unsupported(unsupported));
    }

    let mut p = Planner::new(req, syncs);
    p.prog.target = target.clone();
    let mut env = Env::new(graph);
    for (k, (r, dtype, shape)) in req.feeds.iter().enumerate() {
        graph.node(&r.node).ok_or_else(|| Error::UnknownTensor(r.to_string()))?;
        if Storage::of(*dtype).is_none() {
            return Err(Error::Feed { name: r.to_string(), msg: format!("{dtype} tensors cannot be fed") });
        }
        // Uploaded as `to_words` encodes it (floats as f16 under `--precision f16`).
        let storage = Storage::stored(*dtype, target).unwrap_or(Storage::I32);
        p.prog.tensors.push(ProgTensor { name: r.to_string(), dtype: *dtype, storage, shape: shape.clone(), source: Source::Feed(k) });
        let id = p.prog.tensors.len() - 1;
        p.prog.feeds.push((r.clone(), id));
        let mut known = Known::device(id, *dtype, shape.clone());
        known.info.value = values.iter().find(|(v, _)| v == r).map(|(_, t)| t.clone());
        env.vals.insert(r.clone(), Val::T(known));
    }

    // Passes over the nodes: a node that needs what only the GPU knows yet (a data-dependent
    // length, a value) is deferred with everything that depends on it, and one sync point at
    // the end of the pass reads back what the deferred nodes need; the next pass plans them.
    // Every plan of the chain takes the same passes, so each one's kernels begin with those of
    // the plans before it.
    let mut todo = order;
    loop {
        let mut deferred: Vec<usize> = Vec::new();
        let mut waiting: HashSet<&str> = HashSet::new();
        let mut reads: Vec<SyncRead> = Vec::new();
        for &ni in &todo {
            let node = &graph.nodes[ni];
            if node.inputs.iter().any(|r| waiting.contains(r.node.as_str())) {
                deferred.push(ni);
                waiting.insert(node.name.as_str());
                continue;
            }
            if let Err(e) = p.node(node, &mut env, true) {
                if let Some(r) = p.blocked.take() {
                    for x in r {
                        if !reads.contains(&x) {
                            reads.push(x);
                        }
                    }
                    deferred.push(ni);
                    waiting.insert(node.name.as_str());
                    continue;
                }
                let Some(point) = p.pause.take() else { return Err(e) };
                return Ok(paused(p, point));
            }
        }
        if deferred.is_empty() {
            break;
        }
        let first = &graph.nodes[deferred[0]];
        if let Err(e) = p.sync_point(first, reads) {
            let Some(mut point) = p.pause.take() else { return Err(e) };
            // What the later passes read of what is planned: the deferred nodes' inputs, and
            // fetches computed already.
            let mut live = Vec::new();
            let refs = deferred.iter().flat_map(|&ni| &graph.nodes[ni].inputs).chain(req.fetches);
            for r in refs {
                match env.vals.get(r) {
                    Some(Val::T(k)) => live.extend(k.id),
                    Some(Val::List(l)) => live.extend(l.device_ids()),
                    _ => {}
                }
            }
            point.live = Some(live.into_iter().map(|id| p.prog.root(id)).collect());
            return Ok(paused(p, point));
        }
        todo = deferred;
    }

    for f in req.fetches {
        let v = env.vals.get(f).cloned().or_else(|| env.dead.contains(&f.node).then_some(Val::Dead));
        let v = v.ok_or_else(|| Error::UnknownTensor(format!("{f} (node '{}' has no output {})", f.node, f.index)))?;
        match v {
            Val::T(k) => match (&k.info.value, p.known(&k).id) {
                (Some(v), _) => p.prog.fetches.push(Fetch::Host(v.clone())),
                (None, Some(id)) => p.prog.fetches.push(Fetch::Device(id)),
                (None, None) => return Err(Error::UnknownTensor(f.to_string())),
            },
            other => {
                return Err(Error::Other(format!("fetch '{f}' is {}, not a tensor that can be read", other.kind())));
            }
        }
    }
    let Planner { mut prog, loops, reports, resolved, .. } = p;
    // Tensors whose length a sync point made known are read through views of their rows.
    prog.lengths.retain(|(t, _, _)| !resolved.contains_key(t));
    steps::finish(&mut prog, loops, reports);
    Ok(prog)
}
