//! A loaded model: its graph, its constants (uploaded once, at load, into buffers it owns), and
//! its plans, one per feed-shape signature and fetch list.
mod chain;
mod runner;

use std::collections::{HashMap, HashSet};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::context::{Context, GpuBuffer};
#[cfg(not(target_arch = "wasm32"))]
use super::plan::KernelTime;
use super::plan::Plan;
pub use super::stats::{MemoryReport, ModelCounters, ModelStats, PlanSummary};
use super::stats::{join, summary};
use crate::error::{Error, Result};
use crate::graph::op_kind::{self, is_training_or_io};
use crate::graph::{Graph, TensorRef};
pub use crate::import::LoadOptions;
pub use runner::Runner;
use chain::{Done, Job};
use runner::check_feed;
use crate::kernel::words::to_words;
use crate::kernel::SyncRead;
use crate::lower::pipeline::{value_candidates, LoweredGraph};
use crate::lower::{compile_with, CompileRequest, Folded, Syncs};
use crate::ops::registry;
use crate::tensor::{DType, Tensor};
use crate::import::Precision;

/// A placeholder of the graph.
#[derive(Clone, Debug)]
pub struct InputInfo {
    pub name: String,
    pub dtype: Option<DType>,
    /// `None`: unknown rank; `Some(dims)` with `None` for unknown dims.
    pub shape: Option<Vec<Option<usize>>>,
}

/// Feeds, fetches, feed values the plan is specialised on, what the sync points before it read
/// back, and whether host inputs computed on the GPU make sync points.
/// The last field: the graph a chain's plans after its first must be planned with (the
/// optimized one, or the graph as loaded), so that each begins with the kernels of the one before.
type PlanKey = (Vec<(TensorRef, DType, Vec<usize>)>, Vec<TensorRef>, Vec<(TensorRef, String)>, Vec<Vec<String>>, bool, Option<bool>);
/// What the sync points of a run read back, per point.
type SyncValues = Vec<Vec<Arc<Tensor>>>;
/// Feed signature and fetches.
type Signature = (Vec<(TensorRef, DType, Vec<usize>)>, Vec<TensorRef>);

/// The most sync points one run may pass (each one is a submit and a wait).
const MAX_SYNC_POINTS: usize = 64;
/// Plans kept for other lengths than the ones read so far, before the cache of them is reset.
const MAX_LENGTH_PLANS: usize = 256;

/// A model loaded into a [`Context`]. `Send + Sync`: `run` may be called from many threads.
pub struct Model {
    ctx: Context,
    /// The optimized graph that plans use.
    graph: Arc<Graph>,
    /// The graph as loaded (with its constants, none uploaded at load): plans fall back to it
    /// for tensors that fusion removed, or when the optimized graph cannot be planned.
    original: Arc<(Graph, Folded)>,
    folded: Folded,
    consts: HashMap<TensorRef, GpuBuffer>,
    plans: Mutex<HashMap<PlanKey, Arc<Plan>>>,
    /// Feeds (indices) whose values plans of a signature are specialised on, and whether host
    /// inputs computed on the GPU make sync points, learned when planning without failed (see
    /// `plan_with_values`).
    value_feeds: Mutex<HashMap<Signature, (Vec<usize>, bool)>>,
    counters: ModelCounters,
    /// The adapter traits its plans are lowered for (the context's, with its precision).
    target: crate::kernel::Target,
}

impl Model {
    /// Loads a graph: checks every op it needs is supported (listing all that are not), folds
    /// its constant part and uploads the constants its kernels read.
    pub fn from_graph(ctx: &Context, graph: Graph) -> Result<Model> {
        Model::from_graph_with(ctx, graph, Precision::F32)
    }

    /// [`Model::from_graph`] holding float tensors in `precision` (f16 needs the adapter's
    /// `shader-f16`: without it, an error).
    pub fn from_graph_with(ctx: &Context, graph: Graph, precision: Precision) -> Result<Model> {
        ctx.check_alive()?;
        let mut target = ctx.target();
        if precision == Precision::F16 {
            if !ctx.device().features().contains(wgpu::Features::SHADER_F16) {
                let info = ctx.adapter_info();
                let name = if info.name.is_empty() { "this adapter".to_string() } else { format!("{} ({:?})", info.name, info.backend) };
                return Err(Error::Device(format!("precision f16 needs shader-f16, which {name} does not have: load with precision f32")));
            }
            target.f16 = true;
        }
        graph.check_inputs()?;
        let reg = registry();
        let LoweredGraph { graph, folded, original, original_folded } = crate::lower::pipeline::lower_graph(graph, reg)?;
        let original = Arc::new((original, original_folded));
        let mut consts = HashMap::new();
        let mut names: Vec<&TensorRef> = folded.device.iter().collect();
        names.sort();
        for r in names {
            let t = &folded.values[r];
            let words = to_words(t, &r.to_string(), &target)?;
            let buf = ctx.buffer(&r.to_string(), (words.len() as u64).max(crate::kernel::MIN_BINDING_BYTES), wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC)?;
            if !words.is_empty() {
                ctx.queue().write_buffer(&buf.buf, 0, &words);
            }
            consts.insert(r.clone(), buf);
        }
        Ok(Model {
            ctx: ctx.clone(),
            graph: Arc::new(graph),
            original,
            folded,
            consts,
            plans: Mutex::new(HashMap::new()),
            value_feeds: Mutex::new(HashMap::new()),
            counters: ModelCounters::default(),
            target,
        })
    }

    /// The graph as loaded.
    pub fn graph(&self) -> &Graph {
        &self.original.0
    }
    pub fn context(&self) -> &Context {
        &self.ctx
    }
    /// How its float tensors are held on the GPU.
    pub fn precision(&self) -> Precision {
        if self.target.f16 { Precision::F16 } else { Precision::F32 }
    }

    /// The placeholders of the graph.
    pub fn inputs(&self) -> Vec<InputInfo> {
        self.original.0
            .nodes
            .iter()
            .filter(|n| op_kind::is_input(&n.op))
            .map(|n| InputInfo {
                name: format!("{}:0", n.name),
                dtype: n.attr_opt_dtype("dtype").ok().flatten(),
                shape: n.attr_opt_shape("shape").ok().and_then(|s| s.dims()),
            })
            .collect()
    }

    /// Likely outputs: nodes no other node consumes (NoOps and training ops left out).
    pub fn outputs(&self) -> Vec<String> {
        self.original.0
            .sinks()
            .into_iter()
            .filter(|n| !is_training_or_io(&n.op) && n.op != "Const")
            .map(|n| format!("{}:0", n.name))
            .collect()
    }

    /// Runs the graph: feeds by tensor name (`"x:0"`, or `"x"` for `"x:0"`), returns the fetches
    /// in order. Blocks until the results are back (a thin wrapper over [`Model::run_async`];
    /// not in browsers, which cannot block).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn run(&self, feeds: &[(&str, &Tensor)], fetches: &[&str]) -> Result<Vec<Tensor>> {
        super::platform::block_on(self.run_async(feeds, fetches))
    }

    /// Runs the graph and awaits the results: the core every other way to run goes through.
    pub async fn run_async(&self, feeds: &[(&str, &Tensor)], fetches: &[&str]) -> Result<Vec<Tensor>> {
        match self.chain(feeds, fetches, Job::Run(None)).await? {
            Done::Fetched(v) => Ok(v),
            _ => Err(Error::Other("internal: a run ended without its fetches".into())),
        }
    }

    /// Runs and copies each fetch into a buffer of the caller's (on this context's device,
    /// with `COPY_DST` usage, at least 4 bytes per element; values as 32-bit words: f32 for
    /// floats, i32 for integers and bools). Nothing is read back to the CPU: a renderer can
    /// draw the result directly. The copies are submitted before this returns.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn run_into(&self, feeds: &[(&str, &Tensor)], fetches: &[(&str, &wgpu::Buffer)]) -> Result<()> {
        super::platform::block_on(self.run_into_async(feeds, fetches))
    }

    /// [`Model::run_into`], awaited.
    pub async fn run_into_async(&self, feeds: &[(&str, &Tensor)], fetches: &[(&str, &wgpu::Buffer)]) -> Result<()> {
        let names: Vec<&str> = fetches.iter().map(|(n, _)| *n).collect();
        let bufs: Vec<&wgpu::Buffer> = fetches.iter().map(|(_, b)| *b).collect();
        self.chain(feeds, &names, Job::Run(Some(&bufs))).await.map(|_| ())
    }

    /// Validates feed and fetch names and feeds.
    fn names(&self, feeds: &[(&str, &Tensor)], fetches: &[&str]) -> Result<(Vec<(TensorRef, DType, Vec<usize>)>, Vec<TensorRef>)> {
        self.ctx.check_alive()?;
        let mut feed_refs = Vec::with_capacity(feeds.len());
        let mut seen = HashSet::new();
        for (name, t) in feeds {
            let r = self.original.0.resolve(name)?;
            let node = self.original.0.node(&r.node).ok_or_else(|| Error::UnknownTensor(name.to_string()))?;
            check_feed(node, &r, t)?;
            if !seen.insert(r.clone()) {
                return Err(Error::Feed { name: r.to_string(), msg: "fed twice".into() });
            }
            feed_refs.push((r, t.dtype(), t.shape().to_vec()));
        }
        let fetch_refs = fetches
            .iter()
            .map(|f| {
                let r = self.original.0.resolve(f)?;
                if self.original.0.node(&r.node).is_none() {
                    return Err(Error::UnknownTensor(f.to_string()));
                }
                Ok(r)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((feed_refs, fetch_refs))
    }

    /// Runs once with GPU timestamps around every kernel (diagnostics; see `wgtf bench --profile`).
    /// A run with sync points profiles the kernels of every plan it passes.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn profile(&self, feeds: &[(&str, &Tensor)], fetches: &[&str]) -> Result<Vec<KernelTime>> {
        match super::platform::block_on(self.chain(feeds, fetches, Job::Profile))? {
            Done::Profiled(t) => Ok(t),
            _ => Err(Error::Other("internal: a profile ended without its times".into())),
        }
    }

    /// Facts about the plan for these feeds and fetches (planned on first use; with sync points,
    /// the plans for the lengths these feeds give, run once to learn them).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn plan_for(&self, feeds: &[(&str, &Tensor)], fetches: &[&str]) -> Result<PlanSummary> {
        match super::platform::block_on(self.chain(feeds, fetches, Job::Summary))? {
            Done::Planned(p) => Ok(p),
            _ => Err(Error::Other("internal: planning ended without its summary".into())),
        }
    }

    /// A builder for one run.
    pub fn runner(&self) -> Runner<'_> {
        Runner { model: self, feeds: Vec::new(), fetches: Vec::new() }
    }

    /// Plans; when that fails because a node needs, when planning, the value of a small fed
    /// tensor (`tf.range(n)`, `tf.fill(dims, v)`, a fed reshape target) — the planner says so
    /// with [`Error::NeedsValues`], naming the inputs it needs — plans again with those values
    /// known (one submit per run still). When no small feed explains the failure, plans
    /// again with sync points for host inputs computed on the GPU (their values read back at
    /// run time). What works is learned once per signature; each value then gets its own plan.
    fn plan_with_values(
        &self,
        feeds: Vec<(TensorRef, DType, Vec<usize>)>,
        fetches: Vec<TensorRef>,
        given: &[(&str, &Tensor)],
        read: &SyncValues,
        graph: Option<bool>,
    ) -> Result<Arc<Plan>> {
        let sig: Signature = (feeds, fetches);
        let learned = self.value_feeds.lock().unwrap_or_else(|e| e.into_inner()).get(&sig).cloned();
        let (mut which, mut read_values) = learned.clone().unwrap_or_default();
        let mut first_err = None;
        loop {
            let values: Vec<(TensorRef, Arc<Tensor>)> = which.iter().map(|&k| (sig.0[k].0.clone(), Arc::new(given[k].1.clone()))).collect();
            match self.plan(sig.0.clone(), sig.1.clone(), &values, read, read_values, graph) {
                Ok(p) => {
                    if learned.as_ref() != Some(&(which.clone(), read_values)) && (!which.is_empty() || read_values) {
                        self.value_feeds.lock().unwrap_or_else(|e| e.into_inner()).insert(sig, (which, read_values));
                    }
                    return Ok(p);
                }
                Err(e) => {
                    let more = value_candidates(&self.original.0, &e, &sig.0, given, &which);
                    if more.is_empty() {
                        if !read_values && matches!(e, Error::NeedsValues { .. }) {
                            read_values = true;
                            first_err.get_or_insert(e);
                            continue;
                        }
                        return Err(first_err.unwrap_or(e));
                    }
                    first_err.get_or_insert(e);
                    which.extend(more);
                }
            }
        }
    }

    /// The plan for these feeds, fetches and values: with the optimized graph, or the graph as
    /// loaded where that one cannot serve them (`graph`: the one to use, for the plans after a
    /// sync point).
    fn plan(
        &self,
        feeds: Vec<(TensorRef, DType, Vec<usize>)>,
        fetches: Vec<TensorRef>,
        values: &[(TensorRef, Arc<Tensor>)],
        read: &SyncValues,
        read_values: bool,
        graph: Option<bool>,
    ) -> Result<Arc<Plan>> {
        let read_key = read.iter().map(|p| p.iter().map(|t| format!("{:?}", t.data())).collect()).collect();
        let key: PlanKey = (feeds, fetches, values.iter().map(|(r, t)| (r.clone(), format!("{:?}", t.data()))).collect(), read_key, read_values, graph);
        let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = plans.get(&key) {
            return Ok(p.clone());
        }
        // A stream of inputs with ever new lengths must not grow the cache without end.
        if !read.is_empty() && plans.keys().filter(|k| !k.3.is_empty()).count() >= MAX_LENGTH_PLANS {
            plans.retain(|k, _| k.3.is_empty());
        }
        let syncs = Syncs { read, read_values };
        let names_in = |g: &Graph| key.0.iter().map(|f| &f.0).chain(&key.1).all(|r| g.node(&r.node).is_some());
        let compile = |optimized: bool| {
            let (g, f) = if optimized { (&*self.graph, &self.folded) } else { (&self.original.0, &self.original.1) };
            compile_with(&CompileRequest { graph: g, registry: registry(), folded: f, feeds: &key.0, fetches: &key.1 }, &self.target, values, &syncs)
        };
        let (prog, optimized) = match graph {
            Some(o) => (compile(o)?, o),
            None => {
                let opt = if names_in(&self.graph) { compile(true) } else { Err(Error::Other("not in the optimized graph".into())) };
                match opt {
                    Ok(p) => (p, true),
                    Err(e) => (compile(false).map_err(|e2| if names_in(&self.graph) { e } else { e2 })?, false),
                }
            }
        };
        let mut plan = Plan::new(&self.ctx, prog)?;
        plan.optimized = optimized;
        plan.read_values = read_values;
        let plan = Arc::new(plan);
        self.counters.plans_created.fetch_add(1, Ordering::Relaxed);
        plans.insert(key, plan.clone());
        Ok(plan)
    }

    /// Plans a run without running it (to inspect kernels and memory). Where the run would stop
    /// at a sync point, the plans after it are made for the largest lengths the shapes allow
    /// (the kernels of a real run differ with the lengths read back).
    pub fn plan_summary(&self, feeds: &[(&str, DType, Vec<usize>)], fetches: &[&str]) -> Result<PlanSummary> {
        let feeds = feeds
            .iter()
            .map(|(n, d, s)| Ok((self.original.0.resolve(n)?, *d, s.clone())))
            .collect::<Result<Vec<_>>>()?;
        let fetches = fetches.iter().map(|f| self.original.0.resolve(f)).collect::<Result<Vec<_>>>()?;
        let mut read: SyncValues = Vec::new();
        let mut plans = Vec::new();
        let mut graph = None;
        loop {
            let plan = match self.plan(feeds.clone(), fetches.clone(), &[], &read, false, graph) {
                Ok(p) => p,
                Err(_) => self.plan(feeds.clone(), fetches.clone(), &[], &read, true, graph)?,
            };
            graph = Some(plan.optimized);
            plans.push(summary(&plan));
            let Some(p) = &plan.prog.pause else { break };
            // Lengths as large as the shapes allow; values read back cannot be guessed.
            let guess: Option<Vec<Arc<Tensor>>> = p
                .reads
                .iter()
                .map(|r| match *r {
                    SyncRead::Length { tensor, .. } => Some(Arc::new(Tensor::from_i32(vec![], vec![plan.prog.tensors[tensor].shape.first().copied().unwrap_or(0) as i32]).ok()?)),
                    SyncRead::Value { .. } => None,
                })
                .collect();
            match guess {
                Some(g) if read.len() < MAX_SYNC_POINTS => read.push(g),
                _ => {
                    plans.last_mut().expect("pushed above").syncs.push("later sync points depend on the values read back here".into());
                    break;
                }
            }
        }
        Ok(join(plans))
    }

    /// Cumulative counters.
    pub fn stats(&self) -> ModelStats {
        let c = &self.counters;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ModelStats {
            runs: g(&c.runs),
            dispatches: g(&c.dispatches),
            passes: g(&c.passes),
            submits: g(&c.submits),
            bytes_uploaded: g(&c.bytes_uploaded),
            bytes_read_back: g(&c.bytes_read_back),
            bind_groups_created: g(&c.bind_groups_created),
            instances_created: g(&c.instances_created),
            plans_created: g(&c.plans_created),
            phases: super::stats::Phases {
                upload_ns: g(&c.upload_ns),
                encode_ns: g(&c.encode_ns),
                submit_ns: g(&c.submit_ns),
                wait_ns: g(&c.wait_ns),
                readback_ns: g(&c.readback_ns),
            },
        }
    }

    /// GPU memory this model holds.
    pub fn memory(&self) -> MemoryReport {
        let weights = self.consts.values().map(|b| b.size).sum();
        let plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        let mut r = MemoryReport { weights, ..Default::default() };
        for p in plans.values() {
            let (a, s) = p.memory();
            r.activations += a;
            r.staging += s;
        }
        r
    }
}
