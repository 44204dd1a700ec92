//! Control flow while planning: function calls, While/StatelessWhile, If/StatelessIf,
//! Case/StatelessCase, and the TF1 conditional ops Switch/Merge. (TF1 loop frames are turned
//! into While loops at load, in `frames.rs`; TensorLists are in `list.rs`; loops in
//! `while_loop.rs`, conditionals in `cond.rs`.)
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
mod cond;
pub(crate) mod frames;
pub(crate) mod list;
mod while_loop;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::lower::planner::{Env, Known, Planner, Val};
use crate::kernel::{Lower, Operand};
use crate::error::{Error, Result};
use crate::graph::function::{self, Function, MAX_CALL_DEPTH};
use crate::graph::{Node, TensorRef};
use crate::proto::NameAttrList;

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
            let rets = f.rets.iter().map(|r| env.get(r, node)).collect::<Result<Vec<_>>>()?;
            Ok(rets.into_iter().map(|v| self.widened(node, v)).collect())
        })();
        self.depth -= 1;
        // Context for errors from the body, once (the innermost call names it). The inputs a
        // body's node needs values of are the body's tensors, not the caller's: the runtime
        // cannot trace them to feeds, so they are dropped (it reads them back instead).
        r.map_err(|e| {
            let e = match e {
                Error::NeedsValues { node, op, msg, .. } => Error::NeedsValues { node, op, inputs: Vec::new(), msg },
                e => e,
            };
            e.map_node_msg(|msg| {
                if msg.contains(" (in function '") {
                    msg.to_string()
                } else {
                    format!("{msg} (in function '{}' of node '{}')", f.name, node.name)
                }
            })
        })
    }

    /// A plain copy kernel (same element count).
    pub(crate) fn copy(&mut self, node: &Node, src: &Operand, dst: &Operand) -> Result<()> {
        let st = crate::ops::util::strides(&dst.shape);
        let st: Vec<i64> = st.iter().map(|&s| s as i64).collect();
        let mut cx = Lower::new(&mut self.prog, node);
        crate::ops::util::strided_copy(&mut cx, node, src, &Operand { shape: dst.shape.clone(), ..dst.clone() }, 0, &st)
    }

}
