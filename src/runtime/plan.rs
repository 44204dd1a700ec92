//! A planned run on the GPU: pipelines, the meta uniform buffer, activation memory assigned by
//! liveness, and a pool of instances (buffers + bind groups) so concurrent runs never share
//! activations. Nothing is created inside `run` once an instance exists.
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use super::context::{Context, GpuBuffer, Pipeline};
use super::stats::ModelCounters;
use crate::error::{Error, Result};
use crate::graph::TensorRef;
use crate::kernel::memory::{assign_slots, imports};
use crate::kernel::words::{from_words, to_storage};
use crate::kernel::{Binding, Fetch, Program, Source, TensorId, META_BYTES};
use crate::tensor::Tensor;

mod feeds;
mod flow;
mod limits;
mod profile;

use limits::check_limits;

pub use profile::KernelTime;

pub struct Plan {
    pub prog: Program,
    pipelines: Vec<Arc<Pipeline>>,
    meta: GpuBuffer,
    meta_stride: u64,
    plan_consts: HashMap<TensorId, GpuBuffer>,
    /// Activation slot of each root tensor.
    slot_of: Vec<Option<usize>>,
    /// Byte offset of each root tensor in its slot's buffer.
    offset_of: Vec<u64>,
    slot_sizes: Vec<u64>,
    pool: Mutex<Vec<Instance>>,
    /// Sum of the activation slots (one instance).
    pub activation_bytes: u64,
    /// Largest sum of activations alive at once.
    pub peak_live_bytes: u64,
    /// The first kernel this plan runs: kernels before it ran in the plans of earlier sync
    /// points (see [`crate::kernel::SyncPoint`]).
    resume: usize,
    /// Tensors made before `resume` that this plan reads or fetches: (root, the earlier plan in
    /// the run's chain that holds it), copied in at the start of a run.
    imports: Vec<(TensorId, usize)>,
    /// Planned with the model's optimized graph (else with the graph as loaded): the plans
    /// after a sync point use the same one.
    pub(crate) optimized: bool,
    /// Planned with sync points for values computed on the GPU (see `lower::Syncs`).
    pub(crate) read_values: bool,
}

/// What one plan's run ended with.
pub(crate) enum Outcome<T = Vec<Tensor>> {
    /// The fetches.
    Fetched(T),
    /// The plan stopped at a sync point: what it read back, for the next plan.
    Paused(Vec<Arc<Tensor>>),
}

pub(crate) struct Instance {
    feeds: Vec<GpuBuffer>,
    slots: Vec<GpuBuffer>,
    staging: Vec<Option<GpuBuffer>>,
    bind_groups: Vec<wgpu::BindGroup>,
    /// Readback of runtime loop predicates (programs with loops only).
    pred: Option<GpuBuffer>,
    /// Readback of what a paused program stops for.
    sync_read: Option<GpuBuffer>,
}

const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_DST)
    .union(wgpu::BufferUsages::COPY_SRC);

impl Plan {
    pub fn new(ctx: &Context, prog: Program) -> Result<Plan> {
        check_limits(ctx.limits(), &prog)?;
        let pipelines = prog.kernels.iter().map(|k| ctx.pipeline(&k.variant)).collect::<Result<Vec<_>>>()?;
        // A tensor of data-dependent length may be fetched, never read by a kernel.
        for k in &prog.kernels {
            for b in &k.bindings {
                if let (Binding::In(id), Some(_)) = (b, prog.length_of(b.id())) {
                    return Err(Error::node(&k.node, &k.op, format!(
                        "reads '{}', whose length depends on the data (only fetching it is supported; \
                         NonMaxSuppression with pad_to_max_output_size=true gives a fixed-size output)",
                        prog.tensors[*id].name
                    )));
                }
            }
        }
        let align = ctx.limits().min_uniform_buffer_offset_alignment.max(1) as u64;
        let meta_stride = (META_BYTES as u64).div_ceil(align) * align;
        let meta = ctx.buffer("wgtf meta", (meta_stride * prog.kernels.len().max(1) as u64).max(META_BYTES as u64),
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST)?;
        let mut bytes = vec![0u8; meta.size as usize];
        for (i, k) in prog.kernels.iter().enumerate() {
            let b = k.meta.bytes();
            if b.len() > META_BYTES {
                return Err(Error::node(&k.node, &k.op, "internal: meta block too large"));
            }
            let off = i * meta_stride as usize;
            bytes[off..off + b.len()].copy_from_slice(&b);
        }
        ctx.queue().write_buffer(&meta.buf, 0, &bytes);

        let mut plan_consts = HashMap::new();
        for (id, t) in prog.tensors.iter().enumerate() {
            if let Source::PlanConst(v) = &t.source {
                let words = to_storage(v, &t.name, t.storage)?;
                let buf = ctx.buffer(&t.name, t.bytes(), STORAGE)?;
                ctx.queue().write_buffer(&buf.buf, 0, &words);
                plan_consts.insert(id, buf);
            }
        }
        let (resume, resume_tensors) = prog.resume();
        let imports = imports(&prog, resume, resume_tensors);
        let (slot_of, offset_of, slot_sizes, peak) = assign_slots(&prog, resume, &imports);
        let activation_bytes = slot_sizes.iter().sum();
        Ok(Plan {
            prog,
            pipelines,
            meta,
            meta_stride,
            plan_consts,
            slot_of,
            offset_of,
            slot_sizes,
            pool: Mutex::new(Vec::new()),
            activation_bytes,
            peak_live_bytes: peak,
            resume,
            imports,
            optimized: true,
            read_values: false,
        })
    }

    /// The bind group of kernel `ki` (instances hold those of the kernels from `resume` on).
    pub(crate) fn bind_group<'a>(&self, inst: &'a Instance, ki: usize) -> &'a wgpu::BindGroup {
        &inst.bind_groups[ki - self.resume]
    }

    fn buffer<'a>(&'a self, inst: &'a Instance, consts: &'a HashMap<TensorRef, GpuBuffer>, id: TensorId) -> Result<&'a wgpu::Buffer> {
        let root = self.prog.root(id);
        let t = &self.prog.tensors[root];
        Ok(match &t.source {
            Source::Feed(k) => &inst.feeds[*k].buf,
            Source::Const(r) => &consts.get(r).ok_or_else(|| Error::Other(format!("internal: constant {r} not uploaded")))?.buf,
            Source::PlanConst(_) => &self.plan_consts[&root].buf,
            Source::Activation => {
                let slot = self.slot_of[root].ok_or_else(|| Error::Other(format!("internal: tensor {} has no buffer", t.name)))?;
                &inst.slots[slot].buf
            }
            Source::Alias(_) | Source::Window { .. } => return Err(Error::Other("internal: alias root".into())),
        })
    }

    /// Byte offset of a tensor in its buffer (activations share arena buffers).
    fn offset(&self, id: TensorId) -> u64 {
        let root = self.prog.root(id);
        let base = match self.prog.tensors[root].source {
            Source::Activation => self.offset_of[root],
            _ => 0,
        };
        base + self.prog.window_offset(id)
    }

    fn new_instance(&self, ctx: &Context, consts: &HashMap<TensorRef, GpuBuffer>, counters: &ModelCounters) -> Result<Instance> {
        let scope = super::platform::Scope::push(ctx.device(), wgpu::ErrorFilter::Validation);
        let feeds = self
            .prog
            .feeds
            .iter()
            .map(|(r, id)| ctx.buffer(&r.to_string(), self.prog.tensors[*id].bytes(), STORAGE))
            .collect::<Result<Vec<_>>>()?;
        let slots = self
            .slot_sizes
            .iter()
            .enumerate()
            .map(|(i, &s)| ctx.buffer(&format!("wgtf activations {i}"), s, STORAGE))
            .collect::<Result<Vec<_>>>()?;
        let staging = self
            .prog
            .fetches
            .iter()
            .map(|f| match f {
                Fetch::Device(id) => ctx
                    .buffer(
                        "wgtf readback",
                        // + the length word of a data-dependent-length tensor
                        self.prog.tensors[*id].bytes() + 4 * self.prog.length_of(*id).is_some() as u64,
                        wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    )
                    .map(Some),
                Fetch::Host(_) => Ok(None),
            })
            .collect::<Result<Vec<_>>>()?;
        let pred = match self.prog.steps.is_empty() {
            true => None,
            false => Some(ctx.buffer("wgtf loop predicate", 4, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST)?),
        };
        let sync_read = match &self.prog.pause {
            Some(_) => Some(ctx.buffer("wgtf sync readback", self.sync_layout().1.max(4), wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST)?),
            None => None,
        };
        let mut inst = Instance { feeds, slots, staging, bind_groups: Vec::new(), pred, sync_read };
        let mut groups = Vec::with_capacity(self.prog.kernels.len() - self.resume);
        for (ki, k) in self.prog.kernels.iter().enumerate().skip(self.resume) {
            let mut entries = vec![wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &self.meta.buf,
                    offset: ki as u64 * self.meta_stride,
                    size: wgpu::BufferSize::new(META_BYTES as u64),
                }),
            }];
            for (bi, b) in k.bindings.iter().enumerate() {
                let buf = self.buffer(&inst, consts, b.id())?;
                let offset = self.offset(b.id());
                let size = self.prog.tensors[b.id()].bytes();
                entries.push(wgpu::BindGroupEntry {
                    binding: bi as u32 + 1,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: buf,
                        offset,
                        size: wgpu::BufferSize::new(size),
                    }),
                });
            }
            groups.push(ctx.device().create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(&k.node),
                layout: &self.pipelines[ki].layout,
                entries: &entries,
            }));
        }
        if let Some(e) = scope.error() {
            return Err(Error::Device(format!("building the run's bind groups: {e}")));
        }
        counters.bind_groups_created.fetch_add(groups.len() as u64, Ordering::Relaxed);
        counters.instances_created.fetch_add(1, Ordering::Relaxed);
        inst.bind_groups = groups;
        Ok(inst)
    }

    /// An instance of this plan for one run (from the pool, or new).
    pub(crate) fn checkout(&self, ctx: &Context, consts: &HashMap<TensorRef, GpuBuffer>, counters: &ModelCounters) -> Result<Instance> {
        let pooled = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match pooled {
            Some(i) => Ok(i),
            None => self.new_instance(ctx, consts, counters),
        }
    }

    /// Returns an instance to the pool. It is reusable after a failed run too: nothing of it is
    /// left mapped.
    pub(crate) fn give_back(&self, inst: Instance) {
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).push(inst);
    }

    /// Copies in the tensors made by the earlier plans of the run's chain.
    fn import(&self, consts: &HashMap<TensorRef, GpuBuffer>, inst: &Instance, earlier: &[(&Plan, &Instance)], enc: &mut wgpu::CommandEncoder) -> Result<()> {
        for &(r, seg) in &self.imports {
            let (p, i) = earlier.get(seg).ok_or_else(|| Error::Other(format!("internal: no plan {seg} before this one")))?;
            // Whole words (f16 tensors of odd length): copies go in 4-byte units.
            let bytes = (self.prog.tensors[r].elements() as u64 * self.prog.tensors[r].storage.bytes()).next_multiple_of(4);
            if bytes == 0 {
                continue;
            }
            enc.copy_buffer_to_buffer(p.buffer(i, consts, r)?, p.offset(r), self.buffer(inst, consts, r)?, self.offset(r), bytes);
        }
        Ok(())
    }

    /// Where each read of the pause lands in the readback buffer: (offset, bytes) per read,
    /// and the total.
    fn sync_layout(&self) -> (Vec<(u64, u64)>, u64) {
        let mut at = 0u64;
        let mut out = Vec::new();
        for r in self.prog.pause.iter().flat_map(|p| &p.reads) {
            let t = &self.prog.tensors[r.source()];
            let bytes = t.elements() as u64 * t.storage.bytes();
            out.push((at, bytes));
            at += bytes.div_ceil(4) * 4;
        }
        (out, at)
    }

    /// Submits what `enc` holds with copies of what the paused program stops for, waits, and
    /// reads it back.
    async fn read_sync(&self, ctx: &Context, consts: &HashMap<TensorRef, GpuBuffer>, inst: &Instance, mut enc: wgpu::CommandEncoder) -> Result<Vec<Arc<Tensor>>> {
        let (Some(p), Some(st)) = (&self.prog.pause, &inst.sync_read) else { return Err(Error::Other("internal: nothing to read at a sync point".into())) };
        let (layout, _) = self.sync_layout();
        for (r, &(at, bytes)) in p.reads.iter().zip(&layout) {
            if bytes > 0 {
                let src = r.source();
                enc.copy_buffer_to_buffer(self.buffer(inst, consts, src)?, self.offset(src), &st.buf, at, bytes.next_multiple_of(4));
            }
        }
        submit_and_map(ctx, enc, &st.buf, "reading back at a sync point").await?;
        let out = {
            let bytes = st.buf.slice(..).get_mapped_range().map_err(|e| Error::Device(format!("readback: {e:?}")))?;
            p.reads
                .iter()
                .zip(&layout)
                .map(|(r, &(at, n))| {
                    let t = &self.prog.tensors[r.source()];
                    from_words(&bytes[at as usize..(at + n) as usize], t.dtype, t.storage, t.shape.clone()).map(Arc::new)
                })
                .collect::<Result<Vec<_>>>()
        };
        st.buf.unmap();
        out
    }

    /// Runs on `inst`: uploads the feeds (or, resuming after a sync point, copies in what the
    /// `earlier` plans of the chain made), records the kernels, and reads back the fetches — or
    /// the lengths the program pauses for.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn run_on(&self, ctx: &Context, consts: &HashMap<TensorRef, GpuBuffer>, inst: &Instance, feeds: &[&Tensor], earlier: &[(&Plan, &Instance)], dest: Option<&[&wgpu::Buffer]>, counters: &ModelCounters) -> Result<Outcome> {
        let queue = ctx.queue();
        let mut clock = super::stats::Clock::start();
        let uploaded = self.upload_feeds(queue, inst, feeds)?;
        clock.lap(&counters.upload_ns);
        let scope = ctx.device().push_error_scope(wgpu::ErrorFilter::Validation);
        let mut enc = ctx.device().create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("wgtf run") });
        self.import(consts, inst, earlier, &mut enc)?;
        let mut flow = flow::FlowStats::default();
        if !self.prog.steps.is_empty() {
            // Runtime loops: submits and predicate readbacks along the way (plan/flow.rs).
            enc = self.run_steps(ctx, consts, inst, enc, &mut flow).await?;
            flow.count(counters);
        } else {
            flow.dispatches = (self.prog.kernels.len() - self.resume) as u64;
            flow.passes = 1;
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("wgtf"), timestamp_writes: None });
            for (ki, k) in self.prog.kernels.iter().enumerate().skip(self.resume) {
                pass.set_pipeline(&self.pipelines[ki].pipeline);
                pass.set_bind_group(0, self.bind_group(inst, ki), &[]);
                pass.dispatch_workgroups(k.groups[0], k.groups[1], k.groups[2]);
            }
        }
        if self.prog.pause.is_some() {
            let read = self.read_sync(ctx, consts, inst, enc).await?;
            if let Some(e) = scope.pop().await {
                return Err(ctx.gpu_error("recording the run", e));
            }
            counters.dispatches.fetch_add(flow.dispatches, Ordering::Relaxed);
            counters.passes.fetch_add(flow.passes, Ordering::Relaxed);
            counters.submits.fetch_add(1 + flow.submits, Ordering::Relaxed);
            counters.bytes_uploaded.fetch_add(uploaded, Ordering::Relaxed);
            counters.bytes_read_back.fetch_add(self.sync_layout().1, Ordering::Relaxed);
            flow.count(counters);
            return Ok(Outcome::Paused(read));
        }
        if let Some(dest) = dest {
            if dest.len() != self.prog.fetches.len() {
                return Err(Error::Other(format!("{} destination buffers for {} fetches", dest.len(), self.prog.fetches.len())));
            }
            for (f, d) in self.prog.fetches.iter().zip(dest) {
                let (bytes, src) = match f {
                    Fetch::Device(id) => ((self.prog.tensors[*id].elements() as u64 * self.prog.tensors[*id].storage.bytes()).next_multiple_of(4), Some(self.buffer(inst, consts, *id)?)),
                    Fetch::Host(t) => (t.len() as u64 * self.prog.storage_of(t.dtype()).bytes(), None),
                };
                if d.size() < bytes {
                    return Err(Error::Other(format!("a destination buffer of {} bytes is too small for {bytes} bytes", d.size())));
                }
                match (f, src) {
                    (_, Some(src)) if bytes > 0 => enc.copy_buffer_to_buffer(src, match f { Fetch::Device(id) => self.offset(*id), _ => 0 }, d, 0, bytes),
                    (Fetch::Host(t), None) => queue.write_buffer(d, 0, &to_storage(t, "fetch", self.prog.storage_of(t.dtype()))?),
                    _ => {}
                }
            }
            queue.submit([enc.finish()]);
            if let Some(e) = scope.pop().await {
                return Err(ctx.gpu_error("recording the run", e));
            }
            counters.runs.fetch_add(1, Ordering::Relaxed);
            counters.dispatches.fetch_add(flow.dispatches, Ordering::Relaxed);
            counters.passes.fetch_add(flow.passes, Ordering::Relaxed);
            counters.submits.fetch_add(1 + flow.submits, Ordering::Relaxed);
            counters.bytes_uploaded.fetch_add(uploaded, Ordering::Relaxed);
            return Ok(Outcome::Fetched(Vec::new()));
        }
        for (f, st) in self.prog.fetches.iter().zip(&inst.staging) {
            if let (Fetch::Device(id), Some(st)) = (f, st) {
                let src = self.buffer(inst, consts, *id)?;
                let bytes = self.prog.tensors[*id].bytes();
                enc.copy_buffer_to_buffer(src, self.offset(*id), &st.buf, 0, bytes);
                if let Some(c) = self.prog.length_of(*id) {
                    enc.copy_buffer_to_buffer(self.buffer(inst, consts, c)?, self.offset(c), &st.buf, bytes, 4);
                }
            }
        }
        let cmd = enc.finish();
        clock.lap(&counters.encode_ns);
        let index = queue.submit([cmd]);
        if let Some(e) = scope.pop().await {
            return Err(ctx.gpu_error("recording the run", e));
        }
        clock.lap(&counters.submit_ns);
        let bufs: Vec<&wgpu::Buffer> = inst.staging.iter().flatten().map(|b| &b.buf).collect();
        let mapped = super::platform::map_read(ctx, &bufs, index).await?;
        clock.lap(&counters.wait_ns);
        let mut mapped = mapped.into_iter();
        let ok: Vec<bool> = inst.staging.iter().map(|s| s.is_some() && mapped.next().unwrap_or(false)).collect();
        let mut out = Vec::with_capacity(self.prog.fetches.len());
        let mut read = 0u64;
        let mut failure = None;
        for (k, (f, st)) in self.prog.fetches.iter().zip(&inst.staging).enumerate() {
            match (f, st) {
                (Fetch::Host(t), _) => out.push((**t).clone()),
                (Fetch::Device(id), Some(st)) => {
                    if !ok[k] {
                        failure = Some(Error::Device("mapping a readback buffer failed".into()));
                        continue;
                    }
                    let t = &self.prog.tensors[*id];
                    let bytes = st.buf.slice(..).get_mapped_range().map_err(|e| Error::Device(format!("readback: {e:?}")))?;
                    let mut shape = t.shape.clone();
                    if self.prog.length_of(*id).is_some() {
                        let at = t.bytes() as usize;
                        let len = i32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
                        if let Some(d0) = shape.first_mut() {
                            *d0 = (len.max(0) as usize).min(*d0);
                        }
                    }
                    let n = shape.iter().product::<usize>();
                    let nb = n * t.storage.bytes() as usize;
                    read += nb as u64;
                    let r = from_words(&bytes[..nb], t.dtype, t.storage, shape);
                    drop(bytes);
                    st.buf.unmap();
                    out.push(r?);
                }
                (Fetch::Device(_), None) => unreachable!("device fetches have staging"),
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        clock.lap(&counters.readback_ns);
        counters.runs.fetch_add(1, Ordering::Relaxed);
        counters.dispatches.fetch_add(flow.dispatches, Ordering::Relaxed);
        counters.passes.fetch_add(flow.passes, Ordering::Relaxed);
        counters.submits.fetch_add(1 + flow.submits, Ordering::Relaxed);
        counters.bytes_uploaded.fetch_add(uploaded, Ordering::Relaxed);
        counters.bytes_read_back.fetch_add(read, Ordering::Relaxed);
        Ok(Outcome::Fetched(out))
    }
}

/// Submits `enc`, maps `buf` for reading, and waits for both (a readback of a few words:
/// a loop's predicate, what a sync point reads).
pub(super) async fn submit_and_map(ctx: &Context, enc: wgpu::CommandEncoder, buf: &wgpu::Buffer, what: &str) -> Result<()> {
    let index = ctx.queue().submit([enc.finish()]);
    match super::platform::map_read(ctx, &[buf], index).await?.as_slice() {
        [true] => Ok(()),
        _ => Err(Error::Device(format!("{what}: mapping the readback buffer failed"))),
    }
}


impl Plan {
    /// (activation + feed + plan-constant bytes, staging bytes) over all pooled instances.
    pub fn memory(&self) -> (u64, u64) {
        let pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        let consts: u64 = self.plan_consts.values().map(|b| b.size).sum::<u64>() + self.meta.size;
        let mut act = consts;
        let mut staging = 0;
        for i in pool.iter() {
            act += i.slots.iter().chain(&i.feeds).map(|b| b.size).sum::<u64>();
            staging += i.staging.iter().flatten().map(|b| b.size).sum::<u64>();
        }
        (act, staging)
    }
}
