//! Conditionals: If/StatelessIf, Case/StatelessCase, and the TF1 Switch/Merge.
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use super::{host_truth, tensor_of};
use crate::error::Result;
use crate::graph::{Graph, Node, TensorRef};
use crate::kernel::steps::{How, LoopReport};
use crate::kernel::meta::{w, CountMeta};
use crate::kernel::{grid, Binding, Lower, Meta, ShaderVariant, Storage};
use crate::lower::planner::{Env, Known, Planner, Val};
use crate::proto::NameAttrList;
use crate::tensor::Tensor;

impl<'a> Planner<'a> {
    pub(super) fn if_op(&mut self, node: &Node, ins: Vec<Val>) -> Result<Vec<Val>> {
        let then_f = self.func_attr(node, "then_branch")?;
        let else_f = self.func_attr(node, "else_branch")?;
        let mut ins = ins.into_iter();
        let pred = tensor_of(ins.next().ok_or_else(|| node.err("no condition input"))?, node, "the condition")?;
        let args: Vec<Val> = ins.collect();
        let fns = vec![then_f.name.clone(), else_f.name.clone()];
        match host_truth(&pred)? {
            Some(b) => {
                let f = if b { &then_f } else { &else_f };
                let outs = self.call(f, args, node)?;
                self.reports.push(LoopReport { node: node.name.clone(), op: node.op.clone(), functions: fns, how: How::Branch(if b { 0 } else { 1 }) });
                Ok(outs)
            }
            // Decided on the GPU; what cannot be would plan with the predicate known.
            None => (|| {
                let t = self.call(&then_f, args.clone(), node)?;
                let e = self.call(&else_f, args, node)?;
                if t.len() != e.len() {
                    return Err(node.err(format!("the branches return {} and {} values", t.len(), e.len())));
                }
                let mut outs = Vec::with_capacity(t.len());
                for (i, (a, b)) in t.into_iter().zip(e).enumerate() {
                    outs.push(self.select_val(node, &pred, a, b, i)?);
                }
                self.reports.push(LoopReport { node: node.name.clone(), op: node.op.clone(), functions: fns, how: How::Select });
                Ok(outs)
            })()
            .map_err(|e| e.needing_values(&node.name, || vec![0])),
        }
    }

    pub(super) fn case_op(&mut self, node: &Node, ins: Vec<Val>) -> Result<Vec<Val>> {
        let branches: Vec<NameAttrList> = match node.attr("branches").and_then(|a| a.value.as_ref()) {
            Some(crate::proto::attr_value::Value::List(l)) => l.func.clone(),
            _ => return Err(node.err("attribute 'branches' (a list of functions) is missing")),
        };
        if branches.is_empty() {
            return Err(node.err("no branches"));
        }
        let mut ins = ins.into_iter();
        let idx = tensor_of(ins.next().ok_or_else(|| node.err("no branch index input"))?, node, "the branch index")?;
        let args: Vec<Val> = ins.collect();
        let Some(v) = idx.value() else {
            return Err(node.needs_values([0], "the branch index is computed on the GPU; only indices known when planning are supported"));
        };
        let i = v.to_i64_vec()?.first().copied().unwrap_or(-1);
        // Out of range: the last branch (TensorFlow's default branch).
        let b = if i < 0 || i as usize >= branches.len() { branches.len() - 1 } else { i as usize };
        let f = self.function(node, &branches[b])?;
        let outs = self.call(&f, args, node)?;
        let fns = branches.iter().map(|f| f.name.clone()).collect();
        self.reports.push(LoopReport { node: node.name.clone(), op: node.op.clone(), functions: fns, how: How::Branch(b) });
        Ok(outs)
    }

    /// `pred ? a : b` for one output of a conditional decided on the GPU.
    pub(super) fn select_val(&mut self, node: &Node, pred: &Known, a: Val, b: Val, i: usize) -> Result<Val> {
        let (a, b) = match (a, b) {
            (Val::T(a), Val::T(b)) => (a, b),
            (Val::Dead, x) | (x, Val::Dead) => return Ok(x),
            (x, _) => {
                return Err(node.err(format!(
                    "output {i} is {} on a branch chosen on the GPU; only tensors can be selected there",
                    x.kind()
                )))
            }
        };
        if a.info.dtype != b.info.dtype || a.info.shape != b.info.shape {
            return Err(node.err(format!(
                "output {i} is {} {:?} on one branch and {} {:?} on the other; with a predicate computed on the GPU both must agree",
                a.info.dtype, a.info.shape, b.info.dtype, b.info.shape
            )));
        }
        if a.id.is_some() && a.id == b.id {
            return Ok(Val::T(a));
        }
        if let (Some(x), Some(y)) = (a.value(), b.value()) {
            if Arc::ptr_eq(x, y) {
                return Ok(Val::T(a));
            }
        }
        let p = self.operand(pred, node)?;
        let x = self.operand(&a, node)?;
        let y = self.operand(&b, node)?;
        if Storage::of(a.info.dtype).is_none() {
            return Err(node.err(format!("output {i} is a {} tensor, which cannot live on the GPU", a.info.dtype)));
        }
        let out = self.activation(format!("{}:{i}", node.name), a.info.dtype, a.info.shape.clone());
        let n = a.info.shape.iter().product::<usize>();
        let variant = ShaderVariant::new(&crate::shaders::SELECT_PRED).set("PRED_FLOAT", pred.info.dtype.is_float() as i64);
        let mut cx = Lower::new(&mut self.prog, node);
        cx.kernel(variant, grid(n, 256), Meta::from(CountMeta { n: w(n), ..Default::default() }), vec![Binding::In(p.id), Binding::In(x.id), Binding::In(y.id), Binding::Out(out)]);
        Ok(Val::T(Known::device(out, a.info.dtype, a.info.shape.clone())))
    }

    pub(super) fn switch(&mut self, node: &Node, ins: Vec<Val>) -> Result<Vec<Val>> {
        if ins.len() != 2 {
            return Err(node.err(format!("expected 2 inputs (data, predicate), got {}", ins.len())));
        }
        let mut ins = ins.into_iter();
        let data = ins.next().unwrap_or(Val::Dead);
        let pred = tensor_of(ins.next().unwrap_or(Val::Dead), node, "the predicate")?;
        Ok(match host_truth(&pred)? {
            Some(true) => vec![Val::Dead, data],
            Some(false) => vec![data, Val::Dead],
            // Decided on the GPU: both sides are computed; the Merge selects.
            None => vec![data.clone(), data],
        })
    }

    pub(super) fn merge(&mut self, node: &Node, ins: Vec<Val>, env: &mut Env<'_>) -> Result<Vec<Val>> {
        let live: Vec<usize> = (0..ins.len()).filter(|&i| !matches!(ins[i], Val::Dead)).collect();
        let index = |i: usize| Val::T(Known::host(Arc::new(Tensor::from_i32(vec![], vec![i as i32]).expect("scalar"))));
        // Two live inputs: decided on the GPU; what cannot be would plan with the predicates
        // upstream known.
        let all = || (0..node.inputs.len()).collect::<Vec<usize>>();
        match live.as_slice() {
            [] => {
                env.dead.insert(node.name.clone());
                Ok(vec![Val::Dead, Val::Dead])
            }
            [i] => Ok(vec![ins[*i].clone(), index(*i)]),
            [a, b] => {
                // Both live: a conditional decided on the GPU. Find the Switch predicate that
                // sends one input down its true side and the other down its false side.
                let sa = switch_sides(env.graph, &node.inputs[*a]);
                let sb = switch_sides(env.graph, &node.inputs[*b]);
                let found = sa.iter().find_map(|(p, &side)| match sb.get(p) {
                    Some(&other) if other != side => Some((p.clone(), side)),
                    _ => None,
                });
                let Some((p, a_true)) = found else {
                    return Err(node.needs_values(all(), "two inputs are live and no Switch predicate tells them apart"));
                };
                let pred = tensor_of(env.get(&p, node)?, node, "the predicate")?;
                let (t, f) = if a_true { (*a, *b) } else { (*b, *a) };
                let v = self.select_val(node, &pred, ins[t].clone(), ins[f].clone(), 0).map_err(|e| e.needing_values(&node.name, all))?;
                let idx = self.select_val(node, &pred, index(t), index(f), 1).map_err(|e| e.needing_values(&node.name, all))?;
                Ok(vec![v, idx])
            }
            _ => Err(node.needs_values(all(), format!("{} live inputs; only two-way merges decided on the GPU are supported", live.len()))),
        }
    }
}

/// The Switch predicates upstream of `r` (following data and control inputs, stopping at
/// Switches): predicate → whether `r` is on its true side.
fn switch_sides(graph: &Graph, r: &TensorRef) -> HashMap<TensorRef, bool> {
    let mut out = HashMap::new();
    let mut seen = HashSet::new();
    let mut todo = VecDeque::from([(r.node.clone(), r.index)]);
    while let Some((name, index)) = todo.pop_front() {
        if !seen.insert((name.clone(), index)) || seen.len() > 100_000 {
            continue;
        }
        let Some(n) = graph.node(&name) else { continue };
        if matches!(n.op.as_str(), "Switch" | "RefSwitch") && n.inputs.len() == 2 {
            // Reached through a data edge: that output's side (a control edge tells nothing).
            if index != usize::MAX {
                out.entry(n.inputs[1].clone()).or_insert(index == 1);
            }
            continue;
        }
        for i in &n.inputs {
            todo.push_back((i.node.clone(), i.index));
        }
        for c in &n.controls {
            todo.push_back((c.clone(), usize::MAX));
        }
    }
    out
}
