//! The planner: what it knows of every value ([`Known`], [`Val`], [`Env`]) and the per-node
//! evaluation shared by the main graph and function bodies. Control flow is in
//! [`super::control`], one node through its op in `planner/op.rs`.
mod op;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::compile::{CompileRequest, Syncs};
use super::control::list::TList;
use super::fold::Folded;
use crate::error::Result;
use crate::graph::function::Function;
use crate::graph::op_kind;
use crate::graph::{Graph, Node, TensorRef};
use crate::kernel::steps::{LoopMark, LoopReport};
use crate::kernel::{Operand, ProgTensor, Program, Source, Storage, SyncPoint, SyncRead, TensorId};
use crate::ops::{Registry, TensorInfo};
use crate::tensor::{DType, Tensor};

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
    pub(crate) const_ids: HashMap<TensorRef, TensorId>,
    /// Program tensors of plan-time values, by the value's address (the Arc keeps it alive).
    pub(crate) host_ids: HashMap<usize, (Arc<Tensor>, TensorId)>,
    /// Const nodes of function bodies, decoded once (by node address; bodies live in `functions`).
    pub(crate) const_cache: HashMap<usize, Known>,
    /// Ops of nodes that have none built at load (function bodies), built once per plan (by
    /// node address, as `const_cache`).
    pub(crate) op_cache: HashMap<usize, Arc<dyn crate::ops::Op>>,
    /// Instantiated functions, by name and call attributes.
    pub functions: HashMap<String, Arc<Function>>,
    /// Evaluation order of each function body (by function address).
    pub(crate) orders: HashMap<usize, Arc<Vec<usize>>>,
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
    pub(crate) given: &'a [Vec<Arc<Tensor>>],
    /// Whether a host input computed on the GPU makes a sync point (else it is an error).
    pub(crate) read_values: bool,
    /// Data-dependent tensors whose length is known (by root): the view of their valid rows.
    pub(crate) resolved: HashMap<TensorId, Known>,
    /// Tensors computed on the GPU whose value a sync point read back (by root).
    pub(crate) valued: HashMap<TensorId, Arc<Tensor>>,
    /// Set when planning stops at a sync point whose lengths are not given.
    pub(crate) pause: Option<SyncPoint>,
    /// Set when a node of the main graph is deferred to the sync point at the end of the pass:
    /// what it needs read back.
    pub(crate) blocked: Option<Vec<SyncRead>>,
    /// Nesting of runtime loops being lowered (a sync point cannot be inside one).
    pub runtime_loops: usize,
    /// Float tensors converted between f32 and f16 storage (`--precision f16`): (tensor, storage
    /// held as) → the converted tensor. Forgotten at every structural op (a conversion made in a
    /// loop body or branch may not have run where it is needed next).
    pub(crate) converted: HashMap<(TensorId, Storage), TensorId>,
}

impl<'a> Planner<'a> {
    pub(crate) fn new(req: &CompileRequest<'a>, syncs: &Syncs<'a>) -> Self {
        Planner {
            prog: Program::default(),
            registry: req.registry,
            graph: req.graph,
            folded: req.folded,
            const_ids: HashMap::new(),
            host_ids: HashMap::new(),
            const_cache: HashMap::new(),
            op_cache: HashMap::new(),
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
            converted: HashMap::new(),
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
        self.converted.retain(|(from, _), id| *from < m.tensors && *id < m.tensors);
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
            // Control flow copies whole buffers of its values: f16 ones go in as f32.
            let ins = ins.into_iter().map(|v| self.widened(node, v)).collect();
            self.converted.clear();
            let outs = self.structural(node, ins, env);
            self.converted.clear();
            env.set(node, outs?);
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
}

impl<'a> Planner<'a> {
    /// `v` with f16 storage widened to f32 (`--precision f16`): control flow copies whole
    /// buffers of its values (loop variables, branch results), which it holds as f32.
    pub(crate) fn widened(&mut self, node: &Node, v: Val) -> Val {
        match v {
            Val::T(mut k) if k.id.is_some_and(|id| self.prog.tensors[id].storage == Storage::F16) => {
                let id = k.id.expect("checked");
                let o = Operand { id, dtype: k.info.dtype, storage: Storage::F16, shape: k.info.shape.clone(), value: k.info.value.clone() };
                k.id = Some(self.held_as(node, o, Storage::F32).id);
                Val::T(k)
            }
            v => v,
        }
    }

    /// What is known of a value once sync points have passed: the view of a data-dependent
    /// tensor's valid rows, or (on the GPU still) with the value read back.
    pub(crate) fn known(&self, k: &Known) -> Known {
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
            // Uploaded at load as `to_words` encodes it (floats as f16 under `--precision f16`).
            let storage = Storage::stored(v.dtype(), &self.prog.target).unwrap_or(Storage::I32);
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

/// Small enough to read back for planning (a shape, a range limit, indices).
pub(crate) fn small(k: &Known) -> bool {
    Storage::of(k.info.dtype).is_some() && k.info.shape.iter().product::<usize>() <= 4096
}
