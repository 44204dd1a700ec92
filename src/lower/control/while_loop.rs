//! While loops: unrolled at plan time, or runtime loops whose trip count the GPU decides.
use std::collections::HashMap;
use std::sync::Arc;

use super::list::TList;
use super::{host_truth, tensor_of, MAX_PLAN_ITERATIONS, MAX_UNROLL_ITERATIONS, MAX_UNROLL_KERNELS};
use crate::error::Result;
use crate::graph::function::Function;
use crate::graph::op_kind;
use crate::graph::Node;
use crate::kernel::steps::{How, LoopMark, LoopReport};
use crate::kernel::meta::{w, CountMeta};
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant, Storage, TensorId};
use crate::lower::planner::{Known, Planner, Val};

impl<'a> Planner<'a> {
    pub(super) fn while_loop(&mut self, node: &Node, ins: Vec<Val>) -> Result<Vec<Val>> {
        let cond = self.func_attr(node, "cond")?;
        let body = self.func_attr(node, "body")?;
        if cond.args.len() != ins.len() || body.args.len() != ins.len() || body.rets.len() != ins.len() {
            return Err(node.err(format!(
                "the loop carries {} values, but cond '{}' takes {} and body '{}' takes {} and returns {}",
                ins.len(),
                cond.name,
                cond.args.len(),
                body.name,
                body.args.len(),
                body.rets.len()
            )));
        }
        if cond.rets.is_empty() {
            return Err(node.err(format!("cond '{}' returns nothing", cond.name)));
        }
        let fns = vec![cond.name.clone(), body.name.clone()];
        let start = self.mark();
        let mut vals = ins.clone();
        let mut iterations = 0usize;
        loop {
            let before = self.mark();
            let c = self.call(&cond, vals.clone(), node)?;
            let pred = tensor_of(c.into_iter().next().unwrap_or(Val::Dead), node, "the loop condition")?;
            match host_truth(&pred)? {
                Some(false) => break,
                Some(true) => {
                    if iterations >= MAX_UNROLL_ITERATIONS || self.prog.kernels.len() - start.kernels > MAX_UNROLL_KERNELS {
                        // Too long to unroll: a runtime loop from the loop's entry.
                        self.rollback(start);
                        let why = format!("more than {iterations} iterations or {MAX_UNROLL_KERNELS} kernels to unroll");
                        // (What a runtime loop cannot do, unrolling would: with the values known.)
                        return self.runtime_while(node, &cond, &body, ins, fns, why).map_err(|e| e.needing_values(&node.name, || (0..node.inputs.len()).collect()));
                    }
                    self.unrolled += 1;
                    if self.unrolled > MAX_PLAN_ITERATIONS {
                        return Err(node.err(format!(
                            "planning unrolls more than {MAX_PLAN_ITERATIONS} loop iterations in all (nested loops); stopped"
                        )));
                    }
                    vals = self.call(&body, vals, node)?;
                    iterations += 1;
                }
                None => {
                    // The condition depends on data: the rest of the loop runs on the GPU.
                    self.rollback(before);
                    let why = if iterations == 0 {
                        "the condition depends on data".to_string()
                    } else {
                        let s = if iterations == 1 { "" } else { "s" };
                        format!("the condition depends on data after {iterations} unrolled iteration{s}")
                    };
                    return self.runtime_while(node, &cond, &body, vals, fns, why).map_err(|e| e.needing_values(&node.name, || (0..node.inputs.len()).collect()));
                }
            }
        }
        self.reports.push(LoopReport { node: node.name.clone(), op: node.op.clone(), functions: fns, how: How::Unrolled(iterations) });
        Ok(vals)
    }

    /// A loop whose predicate is read back at run time. `init` are the values entering it.
    pub(super) fn runtime_while(
        &mut self,
        node: &Node,
        cond: &Arc<Function>,
        body: &Arc<Function>,
        init: Vec<Val>,
        fns: Vec<String>,
        why: String,
    ) -> Result<Vec<Val>> {
        // Values the body returns unchanged stay as they are (host values included).
        let invariant: Vec<bool> = (0..init.len()).map(|i| passes_through(body, i)).collect();
        // A list whose element shape is not known yet (nothing written before the loop): learn
        // it from one trial evaluation of the body with the values entering the loop.
        let mut init = init;
        let unknown: Vec<usize> = (0..init.len())
            .filter(|&i| !invariant[i] && matches!(&init[i], Val::List(l) if l.element_shape().is_none()))
            .collect();
        if !unknown.is_empty() {
            let m = self.mark();
            self.runtime_loops += 1;
            let probe = self.call(body, init.clone(), node);
            self.runtime_loops -= 1;
            self.rollback(m);
            if let Ok(outs) = probe {
                for i in unknown {
                    if let (Val::List(after), Val::List(before)) = (&outs[i], &init[i]) {
                        if let Some(s) = after.element_shape() {
                            let mut l = (**before).clone();
                            l.elem = Some(s.into_iter().map(Some).collect());
                            init[i] = Val::List(Arc::new(l));
                        }
                    }
                }
            }
        }
        let mut args = Vec::with_capacity(init.len());
        let mut carried: Vec<Option<TensorId>> = vec![None; init.len()];
        // Lists are carried as one stacked tensor: (growable) for those.
        let mut lists: Vec<Option<bool>> = vec![None; init.len()];
        for (i, v) in init.iter().enumerate() {
            if invariant[i] {
                args.push(v.clone());
                continue;
            }
            let k = match v {
                Val::T(k) => k.clone(),
                Val::List(l) => {
                    lists[i] = Some(l.growable);
                    self.stacked(node, l).map_err(|e| {
                        e.map_node_msg(|msg| {
                            format!("{msg} (a TensorList carried by a loop whose trip count is decided on the GPU must have a fixed length and element shape)")
                        })
                    })?
                }
                Val::Dead => return Err(node.err(format!("loop value {i} is dead"))),
            };
            if Storage::of(k.info.dtype).is_none() {
                return Err(node.err(format!("loop value {i} is a {} tensor, which cannot live on the GPU", k.info.dtype)));
            }
            let c = self.activation(format!("{}/carried{i}", node.name), k.info.dtype, k.info.shape.clone());
            let src = self.operand(&k, node)?;
            let dst = Operand { id: c, dtype: k.info.dtype, storage: self.prog.tensors[c].storage, shape: k.info.shape.clone(), value: None };
            self.copy(node, &src, &dst)?;
            carried[i] = Some(c);
            let kc = Known::device(c, k.info.dtype, k.info.shape.clone());
            args.push(match lists[i] {
                Some(g) => Val::List(Arc::new(TList::rows_of(kc, g))),
                None => Val::T(kc),
            });
        }

        let cond_start = self.prog.kernels.len();
        let loops_before = self.loops.len();
        self.runtime_loops += 1;
        let c = self.call(cond, args.clone(), node);
        self.runtime_loops -= 1;
        let c = c?;
        let pred = tensor_of(c.into_iter().next().unwrap_or(Val::Dead), node, "the loop condition")?;
        if pred.info.shape.iter().product::<usize>() != 1 {
            return Err(node.err(format!("the loop condition has shape {:?}; it must have one element", pred.info.shape)));
        }
        if let Some(b) = host_truth(&pred)? {
            if b {
                return Err(node.err("the loop condition is always true: the loop would never end"));
            }
            // Never entered.
            self.prog.kernels.truncate(cond_start);
            self.loops.truncate(loops_before);
            self.reports.push(LoopReport { node: node.name.clone(), op: node.op.clone(), functions: fns, how: How::Unrolled(0) });
            return Ok(init);
        }
        let pred_id = self.device_id(&pred, node)?;
        let cond_end = self.prog.kernels.len();
        self.runtime_loops += 1;
        let outs = self.call(body, args.clone(), node);
        self.runtime_loops -= 1;
        let outs = outs?;
        // New values into the carried buffers. A value that is another carried buffer is
        // copied to a temporary first, so that no copy reads a buffer already overwritten.
        let roots: HashMap<TensorId, usize> =
            carried.iter().enumerate().filter_map(|(i, c)| c.map(|c| (self.prog.root(c), i))).collect();
        let mut srcs: Vec<Option<Operand>> = vec![None; init.len()];
        for (i, v) in outs.iter().enumerate() {
            let Some(c) = carried[i] else { continue };
            let k = match (v, lists[i]) {
                (Val::List(l), Some(_)) => self.stacked(node, l)?,
                (v, None) => tensor_of(v.clone(), node, &format!("loop value {i} after the body"))?,
                (v, Some(_)) => return Err(node.err(format!("loop value {i} is a TensorList before the body and {} after", v.kind()))),
            };
            let want = &self.prog.tensors[c];
            if k.info.dtype != want.dtype || k.info.shape != want.shape {
                return Err(node.err(format!(
                    "loop value {i} changes from {} {:?} to {} {:?} in the body; a loop whose trip count is not known when planning ({why}) must keep its shapes",
                    want.dtype, want.shape, k.info.dtype, k.info.shape
                )));
            }
            let mut src = self.operand(&k, node)?;
            let r = self.prog.root(src.id);
            if roots.get(&r).is_some_and(|&j| j != i) {
                let t = self.activation(format!("{}/next{i}", node.name), src.dtype, src.shape.clone());
                let tmp = Operand { id: t, dtype: src.dtype, storage: src.storage, shape: src.shape.clone(), value: None };
                self.copy(node, &src, &tmp)?;
                src = tmp;
            }
            srcs[i] = Some(src);
        }
        // Commits guarded by the predicate: an iteration recorded after the condition turned
        // false changes nothing, so the runtime may record several per readback.
        let pred_float = pred.info.dtype.is_float();
        for (i, src) in srcs.into_iter().enumerate() {
            let (Some(src), Some(c)) = (src, carried[i]) else { continue };
            if self.prog.root(src.id) == self.prog.root(c) {
                continue;
            }
            let n = src.elements();
            let variant = ShaderVariant::new(&crate::shaders::COPY_IF).set("PRED_FLOAT", pred_float as i64);
            let mut cx = Lower::new(&mut self.prog, node);
            cx.kernel(variant, grid(n, 256), Meta::from(CountMeta { n: w(n), ..Default::default() }), vec![Binding::In(pred_id), Binding::In(src.id), Binding::Out(c)]);
        }
        let body_end = self.prog.kernels.len();
        self.loops.push(LoopMark {
            node: node.name.clone(),
            cond: cond_start..cond_end,
            pred: pred_id,
            pred_float: pred.info.dtype.is_float(),
            body: cond_end..body_end,
        });
        self.reports.push(LoopReport { node: node.name.clone(), op: node.op.clone(), functions: fns, how: How::Runtime(why) });
        Ok(init
            .into_iter()
            .enumerate()
            .map(|(i, v)| match carried[i] {
                Some(c) => {
                    let t = &self.prog.tensors[c];
                    let k = Known::device(c, t.dtype, t.shape.clone());
                    match lists[i] {
                        Some(g) => Val::List(Arc::new(TList::rows_of(k, g))),
                        None => Val::T(k),
                    }
                }
                None => v,
            })
            .collect())
    }
}

/// Whether body output `i` is argument `i` itself (through identities).
fn passes_through(body: &Function, i: usize) -> bool {
    let mut r = body.rets[i].clone();
    for _ in 0..1000 {
        if r.node == body.args[i] {
            return true;
        }
        match body.graph.node(&r.node) {
            Some(n) if op_kind::is_body_identity(&n.op) && r.index == 0 && !n.inputs.is_empty() => {
                r = n.inputs[0].clone()
            }
            Some(n) if n.op == "IdentityN" && r.index < n.inputs.len() => r = n.inputs[r.index].clone(),
            _ => return false,
        }
    }
    false
}
