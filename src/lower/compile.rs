//! Plans one run: prunes the graph to the fetches, infers shapes from the feed shapes, folds
//! what depends only on constants and shapes, and lowers the rest to kernels.
//!
//! The same per-node evaluation serves the main graph and function bodies (While/If bodies,
//! see `control.rs`): a value is a tensor ([`Known`]: its dtype, shape, value when known at
//! plan time, and program tensor once it lives on the GPU), a plan-time TensorList, or dead
//! (the untaken side of a TF1 `Switch`).
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::control::list::TList;
use crate::graph::op_kind;
use crate::kernel::steps::{self, LoopMark, LoopReport};
use crate::kernel::{Fetch, Lower, Operand, ProgTensor, Program, Source, Storage, SyncPoint, SyncRead, TensorId};
use crate::error::{Error, Result};
use crate::graph::function::Function;
use crate::graph::{Graph, Node, TensorRef};
use super::fold::Folded;
use crate::ops::{Registry, TensorInfo};
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

/// A tensor while planning: what is known of it, and its program tensor once it has one.
#[derive(Clone, Debug)]
pub(crate) struct Known {
    pub info: TensorInfo,
    pub id: Option<TensorId>,
    /// A folded constant of the main graph that was uploaded at load under this name.
    pub upload: Option<TensorRef>,
}

impl Known {
    pub fn host(t: Arc<Tensor>) -> Known {
        Known { info: TensorInfo::known(t), id: None, upload: None }
    }
    pub fn device(id: TensorId, dtype: DType, shape: Vec<usize>) -> Known {
        Known { info: TensorInfo::new(dtype, shape), id: Some(id), upload: None }
    }
    pub fn value(&self) -> Option<&Arc<Tensor>> {
        self.info.value.as_ref()
    }
}

/// A value while planning.
#[derive(Clone, Debug)]
pub(crate) enum Val {
    T(Known),
    /// A TensorList / TensorArray: a plan-time list of tensors.
    List(Arc<TList>),
    /// The untaken output of a TF1 `Switch` whose predicate is known when planning.
    Dead,
}

impl Val {
    pub fn kind(&self) -> &'static str {
        match self {
            Val::T(_) => "a tensor",
            Val::List(_) => "a TensorList",
            Val::Dead => "on the untaken side of a conditional",
        }
    }
}

/// The values of one graph (the main graph or one call of a function body).
pub(crate) struct Env<'g> {
    pub graph: &'g Graph,
    pub vals: HashMap<TensorRef, Val>,
    /// Nodes all of whose outputs are dead.
    pub dead: HashSet<String>,
}

impl<'g> Env<'g> {
    pub fn new(graph: &'g Graph) -> Self {
        Env { graph, vals: HashMap::new(), dead: HashSet::new() }
    }
    pub fn get(&self, r: &TensorRef, node: &Node) -> Result<Val> {
        if self.dead.contains(&r.node) {
            return Ok(Val::Dead);
        }
        self.vals.get(r).cloned().ok_or_else(|| {
            node.err(format!("input '{r}' is not produced (its node has fewer outputs, or was not planned)"))
        })
    }
    pub fn set(&mut self, node: &Node, outs: Vec<Val>) {
        for (i, v) in outs.into_iter().enumerate() {
            self.vals.insert(TensorRef::new(&node.name, i), v);
        }
    }
}

/// Where the plan stands (to undo a partial loop unrolling).
#[derive(Clone, Copy)]
pub(crate) struct Mark {
    pub kernels: usize,
    tensors: usize,
    loops: usize,
    reports: usize,
}

/// The state of one planning.
pub(crate) struct Planner<'a> {
    pub prog: Program,
    pub registry: &'a Registry,
    /// The main graph: its function library serves every call.
    pub graph: &'a Graph,
    pub folded: &'a Folded,
    /// Program tensors of load-time constants.
    const_ids: HashMap<TensorRef, TensorId>,
    /// Program tensors of plan-time values, by the value's address (the Arc keeps it alive).
    host_ids: HashMap<usize, (Arc<Tensor>, TensorId)>,
    /// Const nodes of function bodies, decoded once (by node address; bodies live in `functions`).
    const_cache: HashMap<usize, Known>,
    /// Instantiated functions, by name and call attributes.
    pub functions: HashMap<String, Arc<Function>>,
    /// Evaluation order of each function body (by function address).
    orders: HashMap<usize, Arc<Vec<usize>>>,
    /// Function call nesting.
    pub depth: usize,
    /// Loop iterations unrolled so far (all loops).
    pub unrolled: usize,
    /// Loops run on the GPU with a host round trip per iteration.
    pub loops: Vec<LoopMark>,
    /// Every loop and conditional met, for `wgtf info`.
    pub reports: Vec<LoopReport>,
    /// What the sync points read back, one list per point in the order planning meets them
    /// (by the runs of the plans before this one).
    given: &'a [Vec<Arc<Tensor>>],
    /// Whether a host input computed on the GPU makes a sync point (else it is an error).
    read_values: bool,
    /// Data-dependent tensors whose length is known (by root): the view of their valid rows.
    resolved: HashMap<TensorId, Known>,
    /// Tensors computed on the GPU whose value a sync point read back (by root).
    valued: HashMap<TensorId, Arc<Tensor>>,
    /// Set when planning stops at a sync point whose lengths are not given.
    pause: Option<SyncPoint>,
    /// Set when a node of the main graph is deferred to the sync point at the end of the pass:
    /// what it needs read back.
    blocked: Option<Vec<SyncRead>>,
    /// Nesting of runtime loops being lowered (a sync point cannot be inside one).
    pub runtime_loops: usize,
}

impl<'a> Planner<'a> {
    fn new(req: &CompileRequest<'a>, syncs: &Syncs<'a>) -> Self {
        Planner {
            prog: Program::default(),
            registry: req.registry,
            graph: req.graph,
            folded: req.folded,
            const_ids: HashMap::new(),
            host_ids: HashMap::new(),
            const_cache: HashMap::new(),
            functions: HashMap::new(),
            orders: HashMap::new(),
            depth: 0,
            unrolled: 0,
            loops: Vec::new(),
            reports: Vec::new(),
            given: syncs.read,
            read_values: syncs.read_values,
            resolved: HashMap::new(),
            valued: HashMap::new(),
            pause: None,
            blocked: None,
            runtime_loops: 0,
        }
    }

    pub fn mark(&self) -> Mark {
        Mark {
            kernels: self.prog.kernels.len(),
            tensors: self.prog.tensors.len(),
            loops: self.loops.len(),
            reports: self.reports.len(),
        }
    }

    /// Forgets every kernel and tensor made since `m`.
    pub fn rollback(&mut self, m: Mark) {
        self.prog.kernels.truncate(m.kernels);
        self.prog.tensors.truncate(m.tensors);
        self.prog.syncs.retain(|s| s.tensors < m.tensors);
        // What the sync points undone had read is forgotten.
        let kept: HashSet<TensorId> = self.prog.syncs.iter().flat_map(|s| &s.reads).map(|r| match *r {
            SyncRead::Length { tensor, .. } => tensor,
            SyncRead::Value { tensor } => self.prog.root(tensor),
        }).collect();
        self.resolved.retain(|r, _| kept.contains(r));
        self.valued.retain(|r, _| kept.contains(r));
        self.loops.truncate(m.loops);
        self.reports.truncate(m.reports);
        self.const_ids.retain(|_, id| *id < m.tensors);
        self.host_ids.retain(|_, (_, id)| *id < m.tensors);
    }

    /// The evaluation order of a function body: everything its outputs need, arguments given.
    pub fn order(&mut self, f: &Arc<Function>) -> Result<Arc<Vec<usize>>> {
        let key = Arc::as_ptr(f) as usize;
        if let Some(o) = self.orders.get(&key) {
            return Ok(o.clone());
        }
        let fed: HashSet<TensorRef> = f.args.iter().map(|a| TensorRef::new(a.clone(), 0)).collect();
        let order = Arc::new(f.graph.prune(&f.rets, &fed)?);
        self.orders.insert(key, order.clone());
        Ok(order)
    }

    /// Evaluates one node of `env`'s graph. `main`: the node is in the main graph (folded
    /// constants apply).
    pub fn node(&mut self, node: &Node, env: &mut Env<'_>, main: bool) -> Result<()> {
        if main {
            let r0 = TensorRef::new(&node.name, 0);
            if self.folded.values.contains_key(&r0) {
                let mut i = 0;
                while let Some(t) = self.folded.values.get(&TensorRef::new(&node.name, i)) {
                    let r = TensorRef::new(&node.name, i);
                    let upload = self.folded.device.contains(&r).then(|| r.clone());
                    env.vals.entry(r).or_insert(Val::T(Known { info: TensorInfo::known(t.clone()), id: None, upload }));
                    i += 1;
                }
                return Ok(());
            }
        } else if node.op == "Const" {
            let key = node as *const Node as usize;
            let k = match self.const_cache.get(&key) {
                Some(k) => k.clone(),
                None => {
                    let k = Known::host(node.attr_tensor("value")?);
                    self.const_cache.insert(key, k.clone());
                    k
                }
            };
            env.set(node, vec![Val::T(k)]);
            return Ok(());
        }
        let mut ins = Vec::with_capacity(node.inputs.len());
        for r in &node.inputs {
            ins.push(match env.get(r, node)? {
                Val::T(k) => Val::T(self.known(&k)),
                v => v,
            });
        }
        if !op_kind::takes_dead(&node.op) && ins.iter().any(|v| matches!(v, Val::Dead)) {
            env.dead.insert(node.name.clone());
            return Ok(());
        }
        if op_kind::is_structural(&node.op) {
            let outs = self.structural(node, ins, env)?;
            env.set(node, outs);
            return Ok(());
        }
        if ins.iter().any(|v| !matches!(v, Val::T(_))) {
            // Identities pass lists through (`while/Identity_3` of a TensorList).
            if op_kind::is_identity(&node.op) {
                let n = if node.op == "IdentityN" { ins.len() } else { 1.min(ins.len()) };
                env.set(node, ins.into_iter().take(n).collect());
                return Ok(());
            }
            let (i, v) = ins.iter().enumerate().find(|(_, v)| !matches!(v, Val::T(_))).expect("a non-tensor input");
            return Err(node.err(format!("input {i} ('{}') is {}, which {} does not take", node.inputs[i], v.kind(), node.op)));
        }
        let knowns: Vec<Known> = ins
            .into_iter()
            .map(|v| match v {
                Val::T(k) => k,
                _ => unreachable!("checked above"),
            })
            .collect();
        let outs = self.op(node, &knowns)?;
        env.set(node, outs.into_iter().map(Val::T).collect());
        Ok(())
    }

    /// Folds, infers and lowers one ordinary op.
    pub fn op(&mut self, node: &Node, ins: &[Known]) -> Result<Vec<Known>> {
        let op = self
            .registry
            .get(&node.op)
            .ok_or_else(|| Error::Unsupported(vec![crate::error::Unsupported::op(&node.name, &node.op)]))?;
        let resolved;
        let ins = match self.sync(node, op, ins)? {
            Some(r) => {
                resolved = r;
                resolved.as_slice()
            }
            None => ins,
        };
        let infos: Vec<TensorInfo> = ins.iter().map(|k| k.info.clone()).collect();
        // `infer` checks the inputs (count, dtypes, shapes) before a fold or a lowering reads them.
        let inferred = op.infer(node, &infos)?;
        // Fold on the CPU when every input is known (and the result is not huge: see fold.rs).
        let foldable = !infos.is_empty() && !super::fold::too_large_to_fold(&inferred);
        let folded = if foldable && infos.iter().all(|i| i.value.is_some()) && node.op != "PlaceholderWithDefault" {
            let vals: Vec<_> = infos.iter().map(|i| i.value.clone().unwrap()).collect();
            op.fold(node, &vals).transpose()?
        } else {
            None
        };
        let outs: Vec<TensorInfo> = match folded {
            Some(vals) => vals.into_iter().map(TensorInfo::known).collect(),
            None => inferred,
        };
        if outs.iter().all(|o| o.value.is_some()) {
            return Ok(outs.into_iter().map(|info| Known { info, id: None, upload: None }).collect());
        }
        // Lower to kernels.
        for (i, info) in infos.iter().enumerate() {
            if op.is_host_input(node, i) && info.value.is_none() {
                return Err(node.err(format!(
                    "input {i} ('{}') must be known when planning (it depends on feed values, not only on shapes)",
                    node.inputs[i]
                )));
            }
        }
        let mut operands = Vec::with_capacity(ins.len());
        for (i, k) in ins.iter().enumerate() {
            let id = if op.is_host_input(node, i) { usize::MAX } else { self.device_id(k, node)? };
            let storage = self.prog.storage_of(k.info.dtype);
            operands.push(Operand { id, dtype: k.info.dtype, storage, shape: k.info.shape.clone(), value: k.info.value.clone() });
        }
        // Ops without 64-bit kernels see int64 tensors narrowed to int32 (exact within its
        // range), and their int64 outputs are widened back.
        let narrowing = !op.int64()
            && (operands.iter().any(|o| o.id != usize::MAX && o.storage == Storage::I64)
                || outs.iter().any(|o| o.value.is_none() && self.prog.storage_of(o.dtype) == Storage::I64));
        if narrowing {
            for (i, o) in operands.iter_mut().enumerate() {
                if o.id != usize::MAX && o.storage == Storage::I64 {
                    let t = self.activation(format!("{}/narrow{i}", node.name), DType::I32, o.shape.clone());
                    let narrow = Operand { id: t, dtype: DType::I32, storage: Storage::I32, shape: o.shape.clone(), value: None };
                    crate::ops::array::cast::convert(&mut Lower::new(&mut self.prog, node), o, &narrow);
                    *o = Operand { value: o.value.clone(), ..narrow };
                }
            }
        }
        let mut out_ops = Vec::with_capacity(outs.len());
        let mut widen = Vec::new();
        for (i, o) in outs.iter().enumerate() {
            if o.value.is_some() {
                // Known when planning (e.g. batch-norm statistics passed through): no kernel.
                let storage = self.prog.storage_of(o.dtype);
                out_ops.push(Operand { id: usize::MAX, dtype: o.dtype, storage, shape: o.shape.clone(), value: o.value.clone() });
                continue;
            }
            if Storage::of(o.dtype).is_none() {
                return Err(node.err(format!("output {i} has type {}, which cannot live on the GPU", o.dtype)));
            }
            let id = self.activation(format!("{}:{i}", node.name), o.dtype, o.shape.clone());
            let out = Operand { id, dtype: o.dtype, storage: self.prog.tensors[id].storage, shape: o.shape.clone(), value: None };
            if narrowing && out.storage == Storage::I64 {
                let t = self.activation(format!("{}/narrow_out{i}", node.name), DType::I32, o.shape.clone());
                out_ops.push(Operand { id: t, dtype: DType::I32, storage: Storage::I32, shape: o.shape.clone(), value: None });
                widen.push((i, out));
            } else {
                out_ops.push(out);
            }
        }
        let first_kernel = self.prog.kernels.len();
        {
            let mut cx = Lower::new(&mut self.prog, node);
            op.lower(node, &mut cx, &operands, &out_ops)?;
        }
        self.check_written(node, first_kernel, &out_ops)?;
        for (i, wide) in widen {
            crate::ops::array::cast::convert(&mut Lower::new(&mut self.prog, node), &out_ops[i], &wide);
            // A data-dependent length moves to the widened tensor (the cast reads every row).
            let narrow = out_ops[i].id;
            if let Some(e) = self.prog.lengths.iter_mut().find(|(t, _, _)| *t == narrow) {
                e.0 = wide.id;
                e.1 = self.prog.tensors[wide.id].name.clone();
            }
            out_ops[i] = wide;
        }
        Ok(out_ops
            .into_iter()
            .zip(outs)
            .map(|(o, info)| {
                let id = if info.value.is_some() { None } else { Some(o.id) };
                Known { info, id, upload: None }
            })
            .collect())
    }

    /// Sync points. Tensors of data-dependent length (Where, NonMaxSuppression) hold an upper
    /// bound of rows until their length is read back: they may pass through identities (and be
    /// fetched), but any other op that reads one needs the length. And an op's host input (a
    /// shape, a range limit) computed on the GPU needs its value.
    ///
    /// A node of the main graph that needs them is deferred (`blocked` holds the reads): the
    /// pass goes on with the nodes that do not depend on it, and one sync point at the end of the
    /// pass reads back what every deferred node needs (see `compile_with`). Inside a function
    /// body (a loop being unrolled) the sync point is here: with what it reads given, the inputs
    /// become views of their valid rows or known values (returned); without, planning pauses.
    fn sync(&mut self, node: &Node, op: &dyn crate::ops::Op, ins: &[Known]) -> Result<Option<Vec<Known>>> {
        let passes = op_kind::passes_through(&node.op);
        let out: Vec<Known> = ins.iter().map(|k| self.known(k)).collect();
        let changed = out.iter().zip(ins).any(|(a, b)| a.id != b.id || a.info.value.is_some() != b.info.value.is_some());
        if passes {
            return Ok(changed.then_some(out));
        }
        let mut reads = Vec::new();
        for (i, k) in out.iter().enumerate() {
            let Some(id) = k.id else { continue };
            let root = self.prog.root(id);
            if let Some(count) = self.prog.length_of(id).filter(|_| !self.resolved.contains_key(&root)) {
                reads.push(SyncRead::Length { tensor: root, count });
            } else if self.read_values && op.is_host_input(node, i) && k.info.value.is_none() && small(k) {
                reads.push(SyncRead::Value { tensor: id });
            }
        }
        if reads.is_empty() {
            return Ok(changed.then_some(out));
        }
        if self.runtime_loops > 0 {
            return Err(node.err(
                "an input has a data-dependent length, or a value computed on the GPU that planning needs, inside a loop whose trip count is decided on the GPU: not supported",
            ));
        }
        if self.depth == 0 {
            self.blocked = Some(reads);
            return Err(node.err("internal: deferred to a sync point"));
        }
        self.sync_point(node, reads)?;
        Ok(Some(ins.iter().map(|k| self.known(k)).collect()))
    }

    /// A sync point here, reading `reads`: resolved with what the runs before read back, or the
    /// pause of planning (an error that `compile_with` turns into the program so far).
    fn sync_point(&mut self, node: &Node, reads: Vec<SyncRead>) -> Result<()> {
        let point = SyncPoint { node: node.name.clone(), op: node.op.clone(), kernel: self.prog.kernels.len(), tensors: self.prog.tensors.len(), reads, live: None };
        let Some(given) = self.given.get(self.prog.syncs.len()) else {
            self.pause = Some(point);
            return Err(node.err("internal: planning paused at a sync point"));
        };
        if given.len() != point.reads.len() {
            return Err(node.err(format!("internal: {} values read back for {} reads of a sync point", given.len(), point.reads.len())));
        }
        for (&read, v) in point.reads.iter().zip(given) {
            match read {
                SyncRead::Length { tensor, .. } => {
                    let t = &self.prog.tensors[tensor];
                    let len = v.to_i64_vec()?.first().copied().unwrap_or(0).max(0) as usize;
                    let mut shape = t.shape.clone();
                    shape[0] = len.min(shape[0]);
                    let (dtype, storage, name) = (t.dtype, t.storage, format!("{}/valid{len}", t.name));
                    self.prog.tensors.push(ProgTensor { name, dtype, storage, shape: shape.clone(), source: Source::Alias(tensor) });
                    let view = Known::device(self.prog.tensors.len() - 1, dtype, shape);
                    self.resolved.insert(tensor, view);
                }
                SyncRead::Value { tensor } => {
                    if v.len() != self.prog.tensors[tensor].elements() {
                        return Err(node.err("internal: a value read back has the wrong size"));
                    }
                    self.valued.insert(self.prog.root(tensor), v.clone());
                }
            }
        }
        self.prog.syncs.push(point);
        Ok(())
    }

    /// What is known of a value once sync points have passed: the view of a data-dependent
    /// tensor's valid rows, or (on the GPU still) with the value read back.
    fn known(&self, k: &Known) -> Known {
        let Some(id) = k.id else { return k.clone() };
        let root = self.prog.root(id);
        // Still seen with the upper bound of rows (views made after the sync have their own shapes).
        if let Some(v) = self.resolved.get(&root).filter(|_| k.info.shape == self.prog.tensors[root].shape) {
            return v.clone();
        }
        if k.info.value.is_none() && self.prog.window_offset(id) == 0 {
            if let Some(v) = self.valued.get(&root).filter(|v| v.len() == k.info.shape.iter().product::<usize>()) {
                if let Ok(t) = (**v).clone().reshape(k.info.shape.clone()) {
                    let mut k = k.clone();
                    k.info.value = Some(Arc::new(t));
                    return k;
                }
            }
        }
        k.clone()
    }

    /// Every output must be written by a kernel emitted since `first_kernel`, or be a view.
    pub fn check_written(&self, node: &Node, first_kernel: usize, outs: &[Operand]) -> Result<()> {
        for o in outs.iter().filter(|o| o.value.is_none()) {
            // Written whole, or through windows of it.
            let written = self.prog.kernels[first_kernel..]
                .iter()
                .any(|k| k.bindings.iter().any(|b| matches!(b, crate::kernel::Binding::Out(t) if *t == o.id || self.prog.root(*t) == o.id)));
            let aliased = matches!(self.prog.tensors[o.id].source, Source::Alias(_));
            if !written && !aliased && o.elements() > 0 {
                return Err(node.err(format!("internal: output {} was not computed by the lowering", o.id)));
            }
        }
        Ok(())
    }

    /// A new tensor written by kernels.
    pub fn activation(&mut self, name: String, dtype: DType, shape: Vec<usize>) -> TensorId {
        let storage = self.prog.storage_of(dtype);
        self.prog.tensors.push(ProgTensor { name, dtype, storage, shape, source: Source::Activation });
        self.prog.tensors.len() - 1
    }

    /// The program tensor of a value, uploading it (once per plan) when it is known on the host.
    pub fn device_id(&mut self, k: &Known, node: &Node) -> Result<TensorId> {
        if let Some(id) = k.id {
            return Ok(id);
        }
        let v = k.info.value.clone().ok_or_else(|| node.err("internal: an input has neither a value nor a tensor"))?;
        if Storage::of(v.dtype()).is_none() {
            return Err(node.err(format!("an input is a {} tensor, which cannot live on the GPU", v.dtype())));
        }
        if let Some(r) = &k.upload {
            if let Some(&id) = self.const_ids.get(r) {
                return Ok(id);
            }
            let storage = self.prog.storage_of(v.dtype());
            self.prog.tensors.push(ProgTensor { name: r.to_string(), dtype: v.dtype(), storage, shape: v.shape().to_vec(), source: Source::Const(r.clone()) });
            let id = self.prog.tensors.len() - 1;
            self.const_ids.insert(r.clone(), id);
            return Ok(id);
        }
        let key = Arc::as_ptr(&v) as usize;
        if let Some((_, id)) = self.host_ids.get(&key) {
            return Ok(*id);
        }
        self.prog.tensors.push(ProgTensor {
            name: format!("{}/value{}", node.name, self.prog.tensors.len()),
            dtype: v.dtype(),
            storage: self.prog.storage_of(v.dtype()),
            shape: v.shape().to_vec(),
            source: Source::PlanConst(v.clone()),
        });
        let id = self.prog.tensors.len() - 1;
        self.host_ids.insert(key, (v, id));
        Ok(id)
    }

    /// An operand for a kernel reading `k`.
    pub fn operand(&mut self, k: &Known, node: &Node) -> Result<Operand> {
        let id = self.device_id(k, node)?;
        let storage = self.prog.tensors[id].storage;
        Ok(Operand { id, dtype: k.info.dtype, storage, shape: k.info.shape.clone(), value: k.info.value.clone() })
    }
}

/// The program planned so far, stopping at `point`.
fn paused(p: Planner, point: SyncPoint) -> Program {
    let Planner { mut prog, loops, reports, resolved, .. } = p;
    prog.lengths.retain(|(t, _, _)| !resolved.contains_key(t));
    prog.pause = Some(point);
    steps::finish(&mut prog, loops, reports);
    prog
}

/// Small enough to read back for planning (a shape, a range limit, indices).
fn small(k: &Known) -> bool {
    Storage::of(k.info.dtype).is_some() && k.info.shape.iter().product::<usize>() <= 4096
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

    let unsupported = req.registry.unsupported(order.iter().map(|&i| &graph.nodes[i]));
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
        let storage = p.prog.storage_of(*dtype);
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
