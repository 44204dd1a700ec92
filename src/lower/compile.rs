//! Plans one run: prunes the graph to the fetches, infers shapes from the feed shapes, folds
//! what depends only on constants and shapes, and lowers the rest to kernels.
use std::collections::{HashMap, HashSet};

use super::{Fetch, Lower, Operand, ProgTensor, Program, Source, Storage, TensorId};
use crate::error::{Error, Result};
use crate::graph::{Graph, TensorRef};
use crate::lower::Folded;
use crate::ops::{Registry, TensorInfo};
use crate::tensor::DType;

/// What to plan.
pub struct CompileRequest<'a> {
    pub graph: &'a Graph,
    pub registry: &'a Registry,
    pub folded: &'a Folded,
    /// Fed tensors with their dtype and shape.
    pub feeds: &'a [(TensorRef, DType, Vec<usize>)],
    pub fetches: &'a [TensorRef],
}

struct Known {
    info: TensorInfo,
    id: Option<TensorId>,
}

/// Lowers the part of the graph that computes `fetches` from `feeds`.
pub fn compile(req: &CompileRequest) -> Result<Program> {
    let graph = req.graph;
    let fed: HashSet<TensorRef> = req.feeds.iter().map(|(r, _, _)| r.clone()).collect();
    let order = graph.prune(req.fetches, &fed)?;

    let unsupported: Vec<(String, String)> = order
        .iter()
        .map(|&i| &graph.nodes[i])
        .filter(|n| !req.registry.contains(&n.op))
        .map(|n| (n.name.clone(), n.op.clone()))
        .collect();
    if !unsupported.is_empty() {
        return Err(Error::Unsupported(unsupported));
    }

    let mut prog = Program::default();
    let mut known: HashMap<TensorRef, Known> = HashMap::new();
    for (k, (r, dtype, shape)) in req.feeds.iter().enumerate() {
        let node = graph.node(&r.node).ok_or_else(|| Error::UnknownTensor(r.to_string()))?;
        if Storage::of(*dtype).is_none() {
            return Err(Error::Feed { name: r.to_string(), msg: format!("{dtype} tensors cannot be fed") });
        }
        let _ = node;
        prog.tensors.push(ProgTensor { name: r.to_string(), dtype: *dtype, shape: shape.clone(), source: Source::Feed(k) });
        prog.feeds.push((r.clone(), prog.tensors.len() - 1));
        known.insert(r.clone(), Known { info: TensorInfo::new(*dtype, shape.clone()), id: Some(prog.tensors.len() - 1) });
    }

    for &ni in &order {
        let node = &graph.nodes[ni];
        // Folded at load?
        let r0 = TensorRef::new(&node.name, 0);
        if let Some(v) = req.folded.values.get(&r0) {
            let mut i = 0;
            let mut v = Some(v.clone());
            while let Some(t) = v {
                known.entry(TensorRef::new(&node.name, i)).or_insert(Known { info: TensorInfo::known(t), id: None });
                i += 1;
                v = req.folded.values.get(&TensorRef::new(&node.name, i)).cloned();
            }
            continue;
        }
        let op = req.registry.get(&node.op).ok_or_else(|| Error::Unsupported(vec![(node.name.clone(), node.op.clone())]))?;
        let mut ins: Vec<TensorInfo> = Vec::with_capacity(node.inputs.len());
        for r in &node.inputs {
            let k = known.get(r).ok_or_else(|| {
                node.err(format!("input '{r}' is not produced (its node has fewer outputs, or was not planned)"))
            })?;
            ins.push(k.info.clone());
        }
        // Fold on the CPU when every input is known.
        let folded = if ins.iter().all(|i| i.value.is_some()) && !ins.is_empty() && node.op != "PlaceholderWithDefault" {
            let vals: Vec<_> = ins.iter().map(|i| i.value.clone().unwrap()).collect();
            op.fold(node, &vals).transpose()?
        } else {
            None
        };
        let outs: Vec<TensorInfo> = match folded {
            Some(vals) => vals.into_iter().map(TensorInfo::known).collect(),
            None => op.infer(node, &ins)?,
        };
        if outs.iter().all(|o| o.value.is_some()) {
            for (i, o) in outs.into_iter().enumerate() {
                known.insert(TensorRef::new(&node.name, i), Known { info: o, id: None });
            }
            continue;
        }
        // Lower to kernels.
        for (i, info) in ins.iter().enumerate() {
            if op.is_host_input(node, i) && info.value.is_none() {
                return Err(node.err(format!(
                    "input {i} ('{}') must be known when planning (it depends on feed values, not only on shapes)",
                    node.inputs[i]
                )));
            }
        }
        let mut operands = Vec::with_capacity(ins.len());
        for (i, r) in node.inputs.iter().enumerate() {
            let info = ins[i].clone();
            let id = if op.is_host_input(node, i) {
                usize::MAX
            } else {
                device_id(&mut prog, &mut known, req.folded, r, node)?
            };
            operands.push(Operand { id, dtype: info.dtype, shape: info.shape, value: info.value });
        }
        let mut out_ops = Vec::with_capacity(outs.len());
        for (i, o) in outs.iter().enumerate() {
            if o.value.is_some() {
                // Known when planning (e.g. batch-norm statistics passed through): no kernel.
                out_ops.push(Operand { id: usize::MAX, dtype: o.dtype, shape: o.shape.clone(), value: o.value.clone() });
                continue;
            }
            if Storage::of(o.dtype).is_none() {
                return Err(node.err(format!("output {i} has type {}, which cannot live on the GPU", o.dtype)));
            }
            prog.tensors.push(ProgTensor {
                name: format!("{}:{i}", node.name),
                dtype: o.dtype,
                shape: o.shape.clone(),
                source: Source::Activation,
            });
            let id = prog.tensors.len() - 1;
            out_ops.push(Operand { id, dtype: o.dtype, shape: o.shape.clone(), value: o.value.clone() });
        }
        let first_kernel = prog.kernels.len();
        {
            let mut cx = Lower::new(&mut prog, node);
            op.lower(node, &mut cx, &operands, &out_ops)?;
            let _ = cx.kernel_count();
        }
        // Every output must be written by a kernel of this node or be a view.
        for o in out_ops.iter().filter(|o| o.value.is_none()) {
            let written = prog.kernels[first_kernel..]
                .iter()
                .any(|k| k.bindings.iter().any(|b| *b == super::Binding::Out(o.id)));
            let aliased = matches!(prog.tensors[o.id].source, Source::Alias(_));
            if !written && !aliased && o.elements() > 0 {
                return Err(node.err(format!("internal: output {} was not computed by the lowering", o.id)));
            }
        }
        for (i, (o, info)) in out_ops.into_iter().zip(outs).enumerate() {
            let id = if info.value.is_some() { None } else { Some(o.id) };
            known.insert(TensorRef::new(&node.name, i), Known { info, id });
        }
    }

    for f in req.fetches {
        let k = known.get(f).ok_or_else(|| {
            Error::UnknownTensor(format!("{f} (node '{}' has no output {})", f.node, f.index))
        })?;
        match (&k.info.value, k.id) {
            (_, Some(id)) => prog.fetches.push(Fetch::Device(id)),
            (Some(v), None) => prog.fetches.push(Fetch::Host(v.clone())),
            (None, None) => return Err(Error::UnknownTensor(f.to_string())),
        }
    }
    Ok(prog)
}

/// The program tensor of a known input, creating a constant tensor for a folded value.
fn device_id(
    prog: &mut Program,
    known: &mut HashMap<TensorRef, Known>,
    folded: &Folded,
    r: &TensorRef,
    node: &crate::graph::Node,
) -> Result<TensorId> {
    let k = known.get_mut(r).ok_or_else(|| node.err(format!("input '{r}' is not produced")))?;
    if let Some(id) = k.id {
        return Ok(id);
    }
    let v = k.info.value.clone().ok_or_else(|| node.err(format!("input '{r}' has no value")))?;
    if Storage::of(v.dtype()).is_none() {
        return Err(node.err(format!("input '{r}' is a {} tensor, which cannot live on the GPU", v.dtype())));
    }
    let source = if folded.device.contains(r) { Source::Const(r.clone()) } else { Source::PlanConst(v.clone()) };
    prog.tensors.push(ProgTensor { name: r.to_string(), dtype: v.dtype(), shape: v.shape().to_vec(), source });
    let id = prog.tensors.len() - 1;
    k.id = Some(id);
    Ok(id)
}
