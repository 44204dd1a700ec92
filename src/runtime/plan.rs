//! A planned run on the GPU: pipelines, the meta uniform buffer, activation memory assigned by
//! liveness, and a pool of instances (buffers + bind groups) so concurrent runs never share
//! activations. Nothing is created inside `run` once an instance exists.
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use super::context::{Context, GpuBuffer, Pipeline};
use super::model::ModelCounters;
use crate::error::{Error, Result};
use crate::graph::TensorRef;
use crate::lower::{Binding, Fetch, Program, Source, Storage, TensorId, META_BYTES};
use crate::tensor::{DType, Data, Tensor};

pub(crate) struct Plan {
    pub prog: Program,
    pipelines: Vec<Arc<Pipeline>>,
    meta: GpuBuffer,
    meta_stride: u64,
    plan_consts: HashMap<TensorId, GpuBuffer>,
    /// Activation slot of each root tensor.
    slot_of: Vec<Option<usize>>,
    slot_sizes: Vec<u64>,
    pool: Mutex<Vec<Instance>>,
    /// Sum of the activation slots (one instance).
    pub activation_bytes: u64,
    /// Largest sum of activations alive at once.
    pub peak_live_bytes: u64,
}

struct Instance {
    feeds: Vec<GpuBuffer>,
    slots: Vec<GpuBuffer>,
    staging: Vec<Option<GpuBuffer>>,
    bind_groups: Vec<wgpu::BindGroup>,
}

const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_DST)
    .union(wgpu::BufferUsages::COPY_SRC);

impl Plan {
    pub fn new(ctx: &Context, prog: Program) -> Result<Plan> {
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
                let words = to_words(v, &t.name)?;
                let buf = ctx.buffer(&t.name, t.bytes(), STORAGE)?;
                ctx.queue().write_buffer(&buf.buf, 0, &words);
                plan_consts.insert(id, buf);
            }
        }
        let (slot_of, slot_sizes, peak) = assign_slots(&prog);
        let activation_bytes = slot_sizes.iter().sum();
        Ok(Plan {
            prog,
            pipelines,
            meta,
            meta_stride,
            plan_consts,
            slot_of,
            slot_sizes,
            pool: Mutex::new(Vec::new()),
            activation_bytes,
            peak_live_bytes: peak,
        })
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
            Source::Alias(_) => return Err(Error::Other("internal: alias root".into())),
        })
    }

    fn new_instance(&self, ctx: &Context, consts: &HashMap<TensorRef, GpuBuffer>, counters: &ModelCounters) -> Result<Instance> {
        let scope = ctx.device().push_error_scope(wgpu::ErrorFilter::Validation);
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
        let mut inst = Instance { feeds, slots, staging, bind_groups: Vec::new() };
        let mut groups = Vec::with_capacity(self.prog.kernels.len());
        for (ki, k) in self.prog.kernels.iter().enumerate() {
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
                let size = self.prog.tensors[b.id()].bytes();
                entries.push(wgpu::BindGroupEntry {
                    binding: bi as u32 + 1,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: buf,
                        offset: 0,
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
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::Device(format!("building the run's bind groups: {e}")));
        }
        counters.bind_groups_created.fetch_add(groups.len() as u64, Ordering::Relaxed);
        counters.instances_created.fetch_add(1, Ordering::Relaxed);
        inst.bind_groups = groups;
        Ok(inst)
    }

    /// Runs once: uploads the feeds, records every dispatch in one pass, submits once, reads
    /// back the fetches.
    /// With `dest`, the fetches are copied into the caller's buffers on the GPU (no readback)
    /// and the returned list is empty.
    pub fn run(&self, ctx: &Context, consts: &HashMap<TensorRef, GpuBuffer>, feeds: &[&Tensor], dest: Option<&[&wgpu::Buffer]>, counters: &ModelCounters) -> Result<Vec<Tensor>> {
        let pooled = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let inst = match pooled {
            Some(i) => i,
            None => self.new_instance(ctx, consts, counters)?,
        };
        let result = self.run_on(ctx, consts, &inst, feeds, dest, counters);
        // An instance is reusable after a failed run too: nothing of it is left mapped.
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).push(inst);
        result
    }

    fn run_on(&self, ctx: &Context, consts: &HashMap<TensorRef, GpuBuffer>, inst: &Instance, feeds: &[&Tensor], dest: Option<&[&wgpu::Buffer]>, counters: &ModelCounters) -> Result<Vec<Tensor>> {
        let queue = ctx.queue();
        let mut uploaded = 0u64;
        for ((r, id), t) in self.prog.feeds.iter().zip(feeds) {
            let words = to_words(t, &r.to_string())?;
            if !words.is_empty() {
                queue.write_buffer(&inst.feeds[self.prog.tensors[*id].source_feed()].buf, 0, &words);
            }
            uploaded += words.len() as u64;
        }
        let scope = ctx.device().push_error_scope(wgpu::ErrorFilter::Validation);
        let mut enc = ctx.device().create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("wgtf run") });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("wgtf"), timestamp_writes: None });
            for (ki, k) in self.prog.kernels.iter().enumerate() {
                pass.set_pipeline(&self.pipelines[ki].pipeline);
                pass.set_bind_group(0, &inst.bind_groups[ki], &[]);
                pass.dispatch_workgroups(k.groups[0], k.groups[1], k.groups[2]);
            }
        }
        if let Some(dest) = dest {
            if dest.len() != self.prog.fetches.len() {
                return Err(Error::Other(format!("{} destination buffers for {} fetches", dest.len(), self.prog.fetches.len())));
            }
            for (f, d) in self.prog.fetches.iter().zip(dest) {
                let (bytes, src) = match f {
                    Fetch::Device(id) => (self.prog.tensors[*id].elements() as u64 * 4, Some(self.buffer(inst, consts, *id)?)),
                    Fetch::Host(t) => (t.len() as u64 * 4, None),
                };
                if d.size() < bytes {
                    return Err(Error::Other(format!("a destination buffer of {} bytes is too small for {bytes} bytes", d.size())));
                }
                match (f, src) {
                    (_, Some(src)) if bytes > 0 => enc.copy_buffer_to_buffer(src, 0, d, 0, bytes),
                    (Fetch::Host(t), None) => queue.write_buffer(d, 0, &to_words(t, "fetch")?),
                    _ => {}
                }
            }
            queue.submit([enc.finish()]);
            if let Some(e) = pollster::block_on(scope.pop()) {
                return Err(Error::Device(format!("recording the run: {e}")));
            }
            counters.runs.fetch_add(1, Ordering::Relaxed);
            counters.dispatches.fetch_add(self.prog.kernels.len() as u64, Ordering::Relaxed);
            counters.passes.fetch_add(1, Ordering::Relaxed);
            counters.submits.fetch_add(1, Ordering::Relaxed);
            counters.bytes_uploaded.fetch_add(uploaded, Ordering::Relaxed);
            return Ok(Vec::new());
        }
        for (f, st) in self.prog.fetches.iter().zip(&inst.staging) {
            if let (Fetch::Device(id), Some(st)) = (f, st) {
                let src = self.buffer(inst, consts, *id)?;
                let bytes = self.prog.tensors[*id].bytes();
                enc.copy_buffer_to_buffer(src, 0, &st.buf, 0, bytes);
                if let Some(c) = self.prog.length_of(*id) {
                    enc.copy_buffer_to_buffer(self.buffer(inst, consts, c)?, 0, &st.buf, bytes, 4);
                }
            }
        }
        let index = queue.submit([enc.finish()]);
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::Device(format!("recording the run: {e}")));
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let mut waiting = 0;
        for (k, st) in inst.staging.iter().enumerate() {
            if let Some(st) = st {
                let tx = tx.clone();
                st.buf.slice(..).map_async(wgpu::MapMode::Read, move |r| {
                    let _ = tx.send((k, r));
                });
                waiting += 1;
            }
        }
        ctx.device()
            .poll(wgpu::PollType::Wait { submission_index: Some(index), timeout: None })
            .map_err(|e| Error::Device(format!("waiting for the GPU: {e}")))?;
        ctx.check_alive()?;
        let mut ok = vec![false; inst.staging.len()];
        for _ in 0..waiting {
            let (k, r) = rx.recv().map_err(|_| Error::Device("a readback never completed".into()))?;
            ok[k] = r.is_ok();
        }
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
                    read += (n * 4) as u64;
                    let r = from_words(&bytes[..n * 4], t.dtype, shape);
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
        counters.runs.fetch_add(1, Ordering::Relaxed);
        counters.dispatches.fetch_add(self.prog.kernels.len() as u64, Ordering::Relaxed);
        counters.passes.fetch_add(1, Ordering::Relaxed);
        counters.submits.fetch_add(1, Ordering::Relaxed);
        counters.bytes_uploaded.fetch_add(uploaded, Ordering::Relaxed);
        counters.bytes_read_back.fetch_add(read, Ordering::Relaxed);
        Ok(out)
    }
}

impl crate::lower::ProgTensor {
    fn source_feed(&self) -> usize {
        match self.source {
            Source::Feed(k) => k,
            _ => unreachable!("feed tensors have a feed source"),
        }
    }
}

/// Assigns activation slots by liveness: a slot is reused once every tensor in it is dead.
/// Returns (slot of each root tensor, slot sizes, peak bytes alive at once).
fn assign_slots(prog: &Program) -> (Vec<Option<usize>>, Vec<u64>, u64) {
    let n = prog.tensors.len();
    let mut last_use = vec![0usize; n];
    let mut first_def = vec![usize::MAX; n];
    let fetched: std::collections::HashSet<TensorId> = prog
        .fetches
        .iter()
        .filter_map(|f| if let Fetch::Device(id) = f { Some(prog.root(*id)) } else { None })
        // The length word of a data-dependent-length fetch is read back too: keep it alive.
        .flat_map(|r| [Some(r), prog.length_of(r).map(|c| prog.root(c))].into_iter().flatten())
        .collect();
    for (ki, k) in prog.kernels.iter().enumerate() {
        for b in &k.bindings {
            let r = prog.root(b.id());
            last_use[r] = ki;
            if matches!(b, Binding::Out(_)) && first_def[r] == usize::MAX {
                first_def[r] = ki;
            }
        }
    }
    let is_act = |r: usize| matches!(prog.tensors[r].source, Source::Activation);
    let mut slot_of = vec![None; n];
    let mut sizes: Vec<u64> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut live: u64 = 0;
    let mut peak: u64 = 0;
    for (ki, k) in prog.kernels.iter().enumerate() {
        for b in &k.bindings {
            let r = prog.root(b.id());
            if !is_act(r) || slot_of[r].is_some() {
                continue;
            }
            let need = prog.tensors[r].bytes();
            live += need;
            // Best fit among free slots; else grow the largest free one; else a new slot.
            let pick = free
                .iter()
                .enumerate()
                .filter(|(_, &s)| sizes[s] >= need)
                .min_by_key(|(_, &s)| sizes[s])
                .map(|(i, _)| i)
                .or_else(|| free.iter().enumerate().max_by_key(|(_, &s)| sizes[s]).map(|(i, _)| i));
            let slot = match pick {
                Some(i) => {
                    let s = free.swap_remove(i);
                    sizes[s] = sizes[s].max(need);
                    s
                }
                None => {
                    sizes.push(need);
                    sizes.len() - 1
                }
            };
            slot_of[r] = Some(slot);
        }
        peak = peak.max(live);
        let mut seen = std::collections::HashSet::new();
        for b in &k.bindings {
            let r = prog.root(b.id());
            if is_act(r) && last_use[r] == ki && !fetched.contains(&r) && seen.insert(r) {
                if let Some(s) = slot_of[r] {
                    free.push(s);
                    live -= prog.tensors[r].bytes();
                }
            }
        }
    }
    let _ = first_def;
    // Fetched activations that no kernel writes (empty tensors) still need a buffer to read.
    for &r in &fetched {
        if is_act(r) && slot_of[r].is_none() {
            sizes.push(prog.tensors[r].bytes());
            slot_of[r] = Some(sizes.len() - 1);
        }
    }
    (slot_of, sizes, peak)
}

/// A host tensor as the 32-bit words its GPU buffer holds.
pub(crate) fn to_words(t: &Tensor, name: &str) -> Result<Vec<u8>> {
    let storage = Storage::of(t.dtype())
        .ok_or_else(|| Error::Feed { name: name.to_string(), msg: format!("{} tensors cannot go to the GPU", t.dtype()) })?;
    let mut out = Vec::with_capacity(t.len() * 4);
    match (storage, t.data()) {
        (Storage::F32, Data::F32(v)) => out.extend_from_slice(bytemuck::cast_slice(v)),
        (Storage::F32, _) => {
            for x in t.to_f32_vec()? {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        (Storage::I32, Data::I32(v)) => out.extend_from_slice(bytemuck::cast_slice(v)),
        (Storage::I32, Data::I64(v)) => {
            for &x in v {
                let w = i32::try_from(x).map_err(|_| Error::Feed {
                    name: name.to_string(),
                    msg: format!("value {x} does not fit in 32 bits, which this adapter computes {} in", t.dtype()),
                })?;
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
        (Storage::I32, Data::Bool(v)) => {
            for &x in v {
                out.extend_from_slice(&(x as i32).to_le_bytes());
            }
        }
        (Storage::I32, _) => {
            for x in t.to_i64_vec()? {
                out.extend_from_slice(&(x as i32).to_le_bytes());
            }
        }
    }
    Ok(out)
}

/// Reads 32-bit words back into a tensor of the TensorFlow dtype.
pub(crate) fn from_words(bytes: &[u8], dtype: DType, shape: Vec<usize>) -> Result<Tensor> {
    let data = match Storage::of(dtype) {
        Some(Storage::F32) => {
            let v: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            match dtype {
                DType::F64 => Data::F64(v.into_iter().map(|x| x as f64).collect()),
                _ => Data::F32(v),
            }
        }
        Some(Storage::I32) => {
            let v = bytes.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]));
            match dtype {
                DType::Bool => Data::Bool(v.map(|x| x != 0).collect()),
                DType::I64 => Data::I64(v.map(|x| x as i64).collect()),
                DType::U32 | DType::U64 => Data::I64(v.map(|x| x as u32 as i64).collect()),
                _ => Data::I32(v.collect()),
            }
        }
        None => return Err(Error::Other(format!("{dtype} tensors cannot be read back"))),
    };
    Tensor::new(dtype, shape, data)
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
