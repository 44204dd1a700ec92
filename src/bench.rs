//! Benchmarks of a loaded model: load time (cold, and warm with pipelines cached), latency
//! percentiles, throughput, the run counters, and optionally GPU time per op. Used by
//! `wgtf bench`; figures come from here, never from timed tests.
use std::path::Path;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::import::LoadOptions;
use crate::tensor::{DType, Data, Tensor};
use crate::{Context, Model};

/// What to measure.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub iters: usize,
    pub warmup: usize,
    /// Replaces unknown (and the first) input dims by this batch size.
    pub batch: Option<usize>,
    /// Given feeds (by name); other placeholders get random values.
    pub feeds: Vec<(String, Tensor)>,
    /// Fetches; empty = the model's likely outputs.
    pub fetches: Vec<String>,
    pub profile: bool,
    /// How float tensors are held (f16 needs the adapter's `shader-f16`).
    pub precision: crate::Precision,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions { iters: 50, warmup: 5, batch: None, feeds: vec![], fetches: vec![], profile: false, precision: crate::Precision::F32 }
    }
}

/// GPU time of one op type over a profiled run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct OpTime {
    pub op: String,
    pub gpu_ms: f64,
    pub kernels: usize,
}

/// GPU time of one kernel (a node's dispatch) in a profiled run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct KernelTime {
    pub node: String,
    pub op: String,
    /// The shader variant, e.g. `nn/depthwise_vec4.wgsl[ACT=1,HAS_BIAS=1]`.
    pub kernel: String,
    pub gpu_ms: f64,
}

/// The figures of one benchmark (`--json` prints them as one object, in this order).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct BenchReport {
    pub adapter: String,
    /// `f32` or `f16` (how float tensors were held).
    pub precision: String,
    /// The GEMM kernel of matrix products and convolutions (`tiled`, `subgroup`, `large`).
    pub gemm: String,
    /// Where it came from: `option`, `env` (`WGTF_GEMM`), `rule`, `cache`, `autotune`.
    pub gemm_source: String,
    /// Milliseconds an autotune (GEMM kernels and depthwise forms) took before the load (0
    /// without one: not in `load_ms`).
    pub gemm_tune_ms: f64,
    /// The depthwise form (`cols4`, `cols1`), decided by the same autotune.
    pub depthwise: String,
    /// Where it came from: `option`, `env` (`WGTF_DEPTHWISE`), `rule`, `cache`, `autotune`.
    pub depthwise_source: String,
    pub load_ms: f64,
    pub load_warm_ms: f64,
    pub first_run_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub mean_ms: f64,
    /// The fastest run (robust against a busy machine).
    pub min_ms: f64,
    pub throughput_per_s: f64,
    pub batch: usize,
    pub dispatches_per_run: u64,
    pub passes_per_run: u64,
    pub submits_per_run: u64,
    pub upload_bytes_per_run: u64,
    pub readback_bytes_per_run: u64,
    pub feed_bytes: u64,
    pub pipelines_created: u64,
    pub pipelines_created_warm: u64,
    pub bind_groups_created_per_run: u64,
    pub activation_bytes: u64,
    pub peak_live_bytes: u64,
    pub weight_bytes: u64,
    /// Host time per run outside the GPU's work, by phase (ms): encoding and writing the feeds,
    /// recording the kernels, submitting, and copying the mapped readback into tensors.
    pub host_upload_ms: f64,
    pub host_encode_ms: f64,
    pub host_submit_ms: f64,
    pub host_readback_ms: f64,
    /// Waiting for the GPU to finish and the readback to map (ms per run).
    pub wait_ms: f64,
    /// GPU time per op type, slowest first (with --profile).
    pub profile: Vec<OpTime>,
    /// The ten slowest kernels (with --profile).
    pub slowest_kernels: Vec<KernelTime>,
}

impl BenchReport {
    /// The figures as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain numbers and strings serialize")
    }
}

/// Random feeds for the model's placeholders (given ones kept).
fn make_feeds(model: &Model, opts: &BenchOptions) -> Result<Vec<(String, Tensor)>> {
    let mut feeds = opts.feeds.clone();
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 40) as f32 / (1u64 << 24) as f32
    };
    for input in model.inputs() {
        if feeds.iter().any(|(n, _)| crate::graph::TensorRef::parse(n).ok() == crate::graph::TensorRef::parse(&input.name).ok()) {
            continue;
        }
        let Some(dims) = input.shape.clone() else {
            return Err(Error::Other(format!("input {} has unknown rank: give it with -i", input.name)));
        };
        let shape: Vec<usize> = dims
            .iter()
            .enumerate()
            .map(|(i, d)| match (d, opts.batch) {
                (_, Some(b)) if i == 0 => b,
                (Some(d), _) => *d,
                (None, _) => 1,
            })
            .collect();
        let n: usize = shape.iter().product();
        let dtype = input.dtype.unwrap_or(DType::F32);
        let data = match dtype.host_class() {
            crate::tensor::HostClass::F32 => Data::F32((0..n).map(|_| next() * 2.0 - 1.0).collect()),
            crate::tensor::HostClass::I32 => Data::I32((0..n).map(|_| (next() * 4.0) as i32).collect()),
            crate::tensor::HostClass::I64 => Data::I64((0..n).map(|_| (next() * 4.0) as i64).collect()),
            crate::tensor::HostClass::Bool => Data::Bool((0..n).map(|_| next() > 0.5).collect()),
            _ => return Err(Error::Other(format!("input {}: cannot make random {dtype} values", input.name))),
        };
        feeds.push((input.name.clone(), Tensor::new(dtype, shape, data)?));
    }
    Ok(feeds)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Loads `path` into `ctx` (twice, to time a warm load) and measures runs.
pub fn bench(ctx: &Context, path: &Path, opts: &BenchOptions, mut progress: impl FnMut(usize, usize)) -> Result<BenchReport> {
    let load = LoadOptions { precision: opts.precision, ..Default::default() };
    // The GEMM kernel and the depthwise form are decided (perhaps autotuned) before the load
    // is timed.
    let gemm = ctx.gemm().clone();
    let depthwise = ctx.depthwise().clone();
    let p0 = ctx.pipelines_created();
    let t = Instant::now();
    let cold = ctx.load_with(path, &load)?;
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let feeds = make_feeds(&cold, opts)?;
    let fetches: Vec<String> = if opts.fetches.is_empty() { cold.outputs() } else { opts.fetches.clone() };
    let f: Vec<(&str, &Tensor)> = feeds.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let names: Vec<&str> = fetches.iter().map(|s| s.as_str()).collect();
    let t = Instant::now();
    cold.run(&f, &names)?;
    let first_run_ms = t.elapsed().as_secs_f64() * 1e3;
    let pipelines_created = ctx.pipelines_created() - p0;
    drop(cold);
    // Warm: pipelines are cached in the context, the load costs only the uploads.
    let p1 = ctx.pipelines_created();
    let t = Instant::now();
    let model = ctx.load_with(path, &load)?;
    let load_warm_ms = t.elapsed().as_secs_f64() * 1e3;
    model.run(&f, &names)?;
    let pipelines_created_warm = ctx.pipelines_created() - p1;
    for i in 0..opts.warmup {
        model.run(&f, &names)?;
        progress(i + 1, opts.warmup + opts.iters);
    }
    let s0 = model.stats();
    let mut times = Vec::with_capacity(opts.iters);
    for i in 0..opts.iters {
        let t = Instant::now();
        model.run(&f, &names)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        progress(opts.warmup + i + 1, opts.warmup + opts.iters);
    }
    let s1 = model.stats();
    let runs = (s1.runs - s0.runs).max(1);
    times.sort_by(|a, b| a.total_cmp(b));
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    let plan = model.plan_for(&f, &names)?;
    let batch = feeds.first().and_then(|(_, t)| t.shape().first().copied()).unwrap_or(1);
    let mut profile = Vec::new();
    let mut slowest_kernels = Vec::new();
    if opts.profile {
        let kt = model.profile(&f, &names)?;
        let mut by_op: std::collections::BTreeMap<String, (f64, usize)> = Default::default();
        for k in &kt {
            let e = by_op.entry(k.op.clone()).or_default();
            e.0 += k.nanos / 1e6;
            e.1 += 1;
        }
        profile = by_op.into_iter().map(|(op, (gpu_ms, kernels))| OpTime { op, gpu_ms, kernels }).collect();
        profile.sort_by(|a, b| b.gpu_ms.total_cmp(&a.gpu_ms));
        slowest_kernels = kt.into_iter().map(|k| KernelTime { node: k.node, op: k.op, kernel: k.kernel, gpu_ms: k.nanos / 1e6 }).collect();
        slowest_kernels.sort_by(|a, b| b.gpu_ms.total_cmp(&a.gpu_ms));
        slowest_kernels.truncate(10);
    }
    Ok(BenchReport {
        adapter: format!("{} ({:?})", ctx.adapter_info().name, ctx.adapter_info().backend),
        precision: opts.precision.name().to_string(),
        gemm: gemm.choice.to_string(),
        gemm_source: gemm.source.to_string(),
        gemm_tune_ms: gemm.tune_ms.max(depthwise.tune_ms),
        depthwise: depthwise.choice.to_string(),
        depthwise_source: depthwise.source.to_string(),
        load_ms,
        load_warm_ms,
        first_run_ms,
        p50_ms: percentile(&times, 0.5),
        p90_ms: percentile(&times, 0.9),
        p99_ms: percentile(&times, 0.99),
        mean_ms: mean,
        min_ms: times.first().copied().unwrap_or(0.0),
        throughput_per_s: if mean > 0.0 { batch as f64 * 1e3 / mean } else { 0.0 },
        batch,
        dispatches_per_run: (s1.dispatches - s0.dispatches) / runs,
        passes_per_run: (s1.passes - s0.passes) / runs,
        submits_per_run: (s1.submits - s0.submits) / runs,
        upload_bytes_per_run: (s1.bytes_uploaded - s0.bytes_uploaded) / runs,
        readback_bytes_per_run: (s1.bytes_read_back - s0.bytes_read_back) / runs,
        feed_bytes: {
            let target = crate::kernel::Target { f16: opts.precision == crate::Precision::F16, ..ctx.target() };
            feeds.iter().map(|(_, t)| t.len() as u64 * crate::kernel::Storage::stored(t.dtype(), &target).map_or(4, |s| s.bytes())).sum()
        },
        pipelines_created,
        pipelines_created_warm,
        bind_groups_created_per_run: (s1.bind_groups_created - s0.bind_groups_created) / runs,
        activation_bytes: plan.activation_bytes,
        peak_live_bytes: plan.peak_live_bytes,
        weight_bytes: model.memory().weights,
        host_upload_ms: (s1.phases.upload_ns - s0.phases.upload_ns) as f64 / runs as f64 / 1e6,
        host_encode_ms: (s1.phases.encode_ns - s0.phases.encode_ns) as f64 / runs as f64 / 1e6,
        host_submit_ms: (s1.phases.submit_ns - s0.phases.submit_ns) as f64 / runs as f64 / 1e6,
        host_readback_ms: (s1.phases.readback_ns - s0.phases.readback_ns) as f64 / runs as f64 / 1e6,
        wait_ms: (s1.phases.wait_ns - s0.phases.wait_ns) as f64 / runs as f64 / 1e6,
        profile,
        slowest_kernels,
    })
}
