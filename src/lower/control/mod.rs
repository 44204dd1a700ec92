//! Control flow while planning: function calls, While/StatelessWhile, If/StatelessIf,
//! Case/StatelessCase, and the TF1 conditional ops Switch/Merge. (TF1 loop frames are turned
//! into While loops at load, in `control_frames.rs`; TensorLists are in `control_list.rs`.)
//!
//! Two ways to run a loop:
//! - **Unrolled at plan time** (the common case: Keras RNNs, `tf.while_loop` over a length that
//!   follows from shapes). Plans are made per feed-shape signature, so whenever the loop
//!   condition can be evaluated on the host from what is known at plan time, the body is
//!   lowered once per iteration with that iteration's carried values as operands. Its kernels
//!   are recorded once in the plan and replayed by every run in the same single submit: an
//!   iteration costs only its own dispatches, no host round trip.
//! - **A runtime loop** when the condition depends on data computed on the GPU (or the loop is
//!   too long to unroll). The cond and body are lowered once, with the carried tensors in fixed
//!   buffers (TensorLists as one stacked tensor); the body ends with copies of the new values
//!   into the carried buffers, guarded by the predicate. A run records iterations in batches
//!   and reads the predicate back after each (one submit + one wait; see
//!   `runtime/plan/flow.rs`): iterations recorded after the condition turned false change
//!   nothing. Shapes of carried tensors must stay the same across iterations.
//!
//! If with a predicate known at plan time lowers only the branch taken; with a predicate
//! computed on the GPU, both branches are lowered and each output is selected by a kernel
//! (no round trip). TF1 `Switch` with a known predicate marks its untaken output dead (and
//! everything downstream until a `Merge`); with a GPU predicate, `Merge` selects.
pub(crate) mod frames;
pub(crate) mod list;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use crate::lower::compile::{Env, Known, Planner, Val};
use list::TList;
use crate::graph::op_kind;
use crate::kernel::steps::{How, LoopMark, LoopReport};
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant, Storage, TensorId};
use crate::error::{Error, Result};
use crate::graph::function::{self, Function, MAX_CALL_DEPTH};
use crate::graph::{Graph, Node, TensorRef};
use crate::proto::NameAttrList;
use crate::tensor::Tensor;

/// A loop may be unrolled at plan time up to this many iterations…
pub const MAX_UNROLL_ITERATIONS: usize = 4096;
/// …and this many kernels; longer loops become runtime loops.
pub const MAX_UNROLL_KERNELS: usize = 200_000;
/// All loops of one plan together (nested loops multiply) may unroll this many iterations.
pub const MAX_PLAN_ITERATIONS: usize = 1_000_000;
/// Truth of a predicate when it is known at plan time: scalars are true when non-zero, other
/// tensors when non-empty (TensorFlow's rule).
pub(crate) fn host_truth(k: &Known) -> Result<Option<bool>> {
    let n = k.info.shape.iter().product::<usize>();
    if n != 1 {
        return Ok(Some(n > 0));
    }
    match k.value() {
        Some(t) => Ok(Some(t.to_f64_vec()?.first().is_some_and(|&x| x != 0.0))),
        None => Ok(None),
    }
}

fn tensor_of(v: Val, node: &Node, what: &str) -> Result<Known> {
    match v {
        Val::T(k) => Ok(k),
        other => Err(node.err(format!("{what} is {}, not a tensor", other.kind()))),
    }
}

impl<'a> Planner<'a> {
    /// Evaluates a structural op.
    pub(crate) fn structural(&mut self, node: &Node, ins: Vec<Val>, env: &mut Env<'_>) -> Result<Vec<Val>> {
        match node.op.as_str() {
            "While" | "StatelessWhile" => self.while_loop(node, ins),
            "If" | "StatelessIf" => self.if_op(node, ins),
            "Case" | "StatelessCase" => self.case_op(node, ins),
            "PartitionedCall" | "StatefulPartitionedCall" => {
                let f = self.func_attr(node, "f")?;
                self.call(&f, ins, node)
            }
            "Switch" | "RefSwitch" => self.switch(node, ins),
            "Merge" | "RefMerge" => self.merge(node, ins, env),
            "Enter" | "RefEnter" | "Exit" | "RefExit" | "NextIteration" | "RefNextIteration" | "LoopCond" => Err(node.err(
                "a TF1 loop frame op outside a loop wgtf could convert (frames are turned into While loops at load)",
            )),
            "_Arg" => Err(node.err("internal: an argument was not bound")),
            _ => self.list_op(node, ins),
        }
    }

    /// The function a `func` attribute names, instantiated once per plan.
    pub(crate) fn func_attr(&mut self, node: &Node, attr: &str) -> Result<Arc<Function>> {
        let f = node.attr_opt_func(attr)?.ok_or_else(|| node.err(format!("attribute '{attr}' (a function) is missing")))?.clone();
        self.function(node, &f)
    }

    pub(crate) fn function(&mut self, node: &Node, f: &NameAttrList) -> Result<Arc<Function>> {
        let key = if f.attr.is_empty() {
            f.name.clone()
        } else {
            let sorted: BTreeMap<_, _> = f.attr.iter().collect();
            format!("{}{sorted:?}", f.name)
        };
        if let Some(x) = self.functions.get(&key) {
            return Ok(x.clone());
        }
        let x = function::instantiate_attr(self.graph, f).map_err(|e| match e {
            Error::InvalidModel(m) => node.err(m),
            e => e,
        })?;
        self.functions.insert(key, x.clone());
        Ok(x)
    }

    /// Evaluates a function body with these arguments; returns its outputs.
    pub(crate) fn call(&mut self, f: &Arc<Function>, args: Vec<Val>, node: &Node) -> Result<Vec<Val>> {
        if args.len() != f.args.len() {
            return Err(node.err(format!("function '{}' takes {} inputs, {} given", f.name, f.args.len(), args.len())));
        }
        if self.depth >= MAX_CALL_DEPTH {
            return Err(node.err(format!("function calls and loops nest deeper than {MAX_CALL_DEPTH} levels")));
        }
        let order = self.order(f)?;
        self.depth += 1;
        let mut env = Env::new(&f.graph);
        for (a, v) in f.args.iter().zip(args) {
            env.vals.insert(TensorRef::new(a.clone(), 0), v);
        }
        let r = (|| {
            for &ni in order.iter() {
                self.node(&f.graph.nodes[ni], &mut env, false)?;
            }
            f.rets.iter().map(|r| env.get(r, node)).collect::<Result<Vec<_>>>()
        })();
        self.depth -= 1;
        r.map_err(|e| match e {
            Error::Node { node: n, op, msg } if !msg.contains(" (in function '") => {
                Error::Node { node: n, op, msg: format!("{msg} (in function '{}' of node '{}')", f.name, node.name) }
            }
            e => e,
        })
    }

    fn while_loop(&mut self, node: &Node, ins: Vec<Val>) -> Result<Vec<Val>> {
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
                        return self.runtime_while(node, &cond, &body, ins, fns, why);
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
                    return self.runtime_while(node, &cond, &body, vals, fns, why);
                }
            }
        }
        self.reports.push(LoopReport { node: node.name.clone(), op: node.op.clone(), functions: fns, how: How::Unrolled(iterations) });
        Ok(vals)
    }

    /// A loop whose predicate is read back at run time. `init` are the values entering it.
    fn runtime_while(
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
                    self.stacked(node, l).map_err(|e| match e {
                        Error::Node { node, op, msg } => Error::Node {
                            node,
                            op,
                            msg: format!("{msg} (a TensorList carried by a loop whose trip count is decided on the GPU must have a fixed length and element shape)"),
                        },
                        e => e,
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
            cx.kernel(variant, grid(n, 256), Meta::new().n(n), vec![Binding::In(pred_id), Binding::In(src.id), Binding::Out(c)]);
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

    /// A plain copy kernel (same element count).
    pub(crate) fn copy(&mut self, node: &Node, src: &Operand, dst: &Operand) -> Result<()> {
        let st = crate::ops::util::strides(&dst.shape);
        let st: Vec<i64> = st.iter().map(|&s| s as i64).collect();
        let mut cx = Lower::new(&mut self.prog, node);
        crate::ops::util::strided_copy(&mut cx, node, src, &Operand { shape: dst.shape.clone(), ..dst.clone() }, 0, &st)
    }

    fn if_op(&mut self, node: &Node, ins: Vec<Val>) -> Result<Vec<Val>> {
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
            None => {
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
            }
        }
    }

    fn case_op(&mut self, node: &Node, ins: Vec<Val>) -> Result<Vec<Val>> {
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
            return Err(node.err("the branch index is computed on the GPU; only indices known when planning are supported"));
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
    fn select_val(&mut self, node: &Node, pred: &Known, a: Val, b: Val, i: usize) -> Result<Val> {
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
        cx.kernel(variant, grid(n, 256), Meta::new().n(n), vec![Binding::In(p.id), Binding::In(x.id), Binding::In(y.id), Binding::Out(out)]);
        Ok(Val::T(Known::device(out, a.info.dtype, a.info.shape.clone())))
    }

    fn switch(&mut self, node: &Node, ins: Vec<Val>) -> Result<Vec<Val>> {
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

    fn merge(&mut self, node: &Node, ins: Vec<Val>, env: &mut Env<'_>) -> Result<Vec<Val>> {
        let live: Vec<usize> = (0..ins.len()).filter(|&i| !matches!(ins[i], Val::Dead)).collect();
        let index = |i: usize| Val::T(Known::host(Arc::new(Tensor::from_i32(vec![], vec![i as i32]).expect("scalar"))));
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
                    return Err(node.err("two inputs are live and no Switch predicate tells them apart"));
                };
                let pred = tensor_of(env.get(&p, node)?, node, "the predicate")?;
                let (t, f) = if a_true { (*a, *b) } else { (*b, *a) };
                let v = self.select_val(node, &pred, ins[t].clone(), ins[f].clone(), 0)?;
                let idx = self.select_val(node, &pred, index(t), index(f), 1)?;
                Ok(vec![v, idx])
            }
            _ => Err(node.err(format!("{} live inputs; only two-way merges decided on the GPU are supported", live.len()))),
        }
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
