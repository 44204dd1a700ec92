//! The GPU context: instance, adapter, device and queue, the pipeline cache shared by every
//! model loaded into it, and memory counters.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{Error, Result};
use crate::kernel::{DepthwiseChoice, GemmChoice, ShaderVariant};
use super::tune::{DepthwiseDecision, DepthwiseSetting, GemmDecision, GemmSetting, Source, Tuned};

/// How to pick the adapter.
#[derive(Clone, Debug, Default)]
pub struct ContextOptions {
    /// Backends to consider (`None`: `WGTF_BACKEND`, else all).
    pub backends: Option<wgpu::Backends>,
    /// Preference between integrated and discrete GPUs.
    pub power: wgpu::PowerPreference,
    /// An index into [`list_adapters`] (`None`: `WGTF_ADAPTER`, else the preferred one).
    pub adapter: Option<usize>,
    /// Limits to ask the device for instead of the adapter's own (`None`). Lower limits make
    /// the context behave like a smaller GPU: tests of tensors and dispatches at the limits
    /// use them. Start from [`Context::limits`] of a default context and lower what you need.
    pub limits: Option<wgpu::Limits>,
    /// Adapter features not to use even where the adapter has them: tests of the fallbacks
    /// (e.g. `SHADER_INT64`: int64 narrowed to int32) use it.
    pub without: wgpu::Features,
    /// Choose kernels whose results for a row do not depend on how many rows run with it
    /// ([`crate::kernel::Target::batch_invariant`]): a batch gives, bit for bit, what its rows
    /// give alone. Dynamic batching (`wgtf serve --enable-batching`) turns it on; it costs some
    /// speed for matrix products of at most 4 rows on CPU adapters.
    pub batch_invariant: bool,
    /// How the GEMM kernel of matrix products and convolutions is chosen (`None`: `WGTF_GEMM`,
    /// else [`GemmSetting::Auto`]: cached or autotuned on GPUs, by rule on CPU adapters).
    pub gemm: Option<GemmSetting>,
    /// How depthwise convolutions split between invocations (`None`: `WGTF_DEPTHWISE`, else
    /// [`DepthwiseSetting::Auto`]: decided by the GEMM kernel's autotune where it runs, by rule
    /// elsewhere).
    pub depthwise: Option<DepthwiseSetting>,
    /// The directory of the autotune's cache file (`None`: `$WGTF_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/wgtf`, else `$HOME/.cache/wgtf`).
    pub gemm_cache: Option<std::path::PathBuf>,
}

/// An adapter as listed by `wgtf devices`.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    pub index: usize,
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub max_storage_buffer_binding_size: u64,
    pub max_buffer_size: u64,
    pub max_compute_workgroup_storage_size: u32,
    pub max_compute_invocations_per_workgroup: u32,
    pub features: Vec<&'static str>,
}

fn backends_from_env() -> Result<wgpu::Backends> {
    match std::env::var("WGTF_BACKEND") {
        // OpenGL only when asked: its EGL probing is noisy and it lacks compute features.
        Err(_) => Ok(wgpu::Backends::PRIMARY),
        Ok(s) => match s.to_ascii_lowercase().as_str() {
            "" => Ok(wgpu::Backends::PRIMARY),
            "all" => Ok(wgpu::Backends::all()),
            "vulkan" | "vk" => Ok(wgpu::Backends::VULKAN),
            "metal" | "mtl" => Ok(wgpu::Backends::METAL),
            "dx12" | "d3d12" => Ok(wgpu::Backends::DX12),
            "gl" | "gles" | "opengl" => Ok(wgpu::Backends::GL),
            other => Err(Error::Other(format!("WGTF_BACKEND={other}: expected vulkan, metal, dx12 or gl"))),
        },
    }
}

fn new_instance(backends: wgpu::Backends) -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    desc.backends = backends;
    wgpu::Instance::new(desc)
}

/// The adapters wgtf can use, in the order `--adapter N` / `WGTF_ADAPTER` index them.
#[cfg(not(target_arch = "wasm32"))]
pub fn list_adapters(backends: Option<wgpu::Backends>) -> Result<Vec<AdapterSummary>> {
    let backends = match backends {
        Some(b) => b,
        None => backends_from_env()?,
    };
    let instance = new_instance(backends);
    let adapters = pollster::block_on(instance.enumerate_adapters(backends));
    Ok(adapters.iter().enumerate().map(|(index, a)| summarize(index, a)).collect())
}

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
fn summarize(index: usize, a: &wgpu::Adapter) -> AdapterSummary {
    let info = a.get_info();
    let l = a.limits();
    let f = a.features();
    let mut features = Vec::new();
    for (flag, name) in [
        (wgpu::Features::SHADER_F16, "shader-f16"),
        (wgpu::Features::SHADER_INT64, "shader-int64"),
        (wgpu::Features::SUBGROUP, "subgroups"),
        (wgpu::Features::TIMESTAMP_QUERY, "timestamp-query"),
    ] {
        if f.contains(flag) {
            features.push(name);
        }
    }
    AdapterSummary {
        index,
        name: info.name,
        backend: format!("{:?}", info.backend),
        device_type: format!("{:?}", info.device_type),
        driver: format!("{} {}", info.driver, info.driver_info).trim().to_string(),
        max_storage_buffer_binding_size: l.max_storage_buffer_binding_size as u64,
        max_buffer_size: l.max_buffer_size,
        max_compute_workgroup_storage_size: l.max_compute_workgroup_storage_size,
        max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
        features,
    }
}

/// A compiled compute pipeline and its bind group layout.
pub struct Pipeline {
    pub pipeline: wgpu::ComputePipeline,
    pub layout: wgpu::BindGroupLayout,
    pub label: String,
}

/// Counters of a context (all models together).
#[derive(Debug, Default)]
pub struct ContextStats {
    pub pipelines_created: AtomicU64,
    pub buffers_live: AtomicU64,
    pub bytes_live: AtomicU64,
    pub bytes_peak: AtomicU64,
}

pub(crate) struct Shared {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
    pipelines: Mutex<HashMap<ShaderVariant, Arc<Pipeline>>>,
    pub stats: Arc<ContextStats>,
    pub lost: Arc<AtomicBool>,
    /// The first GPU error no error scope caught (in browsers: every error of creating
    /// pipelines, buffers and bind groups, which cannot be awaited there), to name the cause
    /// when a later call fails on what it made invalid.
    pub uncaptured: Arc<Mutex<Option<String>>>,
    /// See [`ContextOptions::batch_invariant`].
    batch_invariant: bool,
    /// How the GEMM kernel is chosen, and where a forced one came from.
    gemm: (GemmSetting, Source),
    /// How the depthwise form is chosen, and where a forced one came from.
    depthwise: (DepthwiseSetting, Source),
    /// The autotune's (or the cache's) choices for this device, made at most once.
    pub(crate) tuned: OnceLock<Tuned>,
    /// The adapter's features (the device's may be fewer: [`ContextOptions::without`]).
    pub adapter_features: wgpu::Features,
    /// See [`ContextOptions::gemm_cache`].
    pub gemm_cache: Option<std::path::PathBuf>,
}

/// A GPU device shared by any number of models. Cheap to clone.
#[derive(Clone)]
pub struct Context {
    pub(crate) shared: Arc<Shared>,
    /// The GEMM kernel, decided at first use (see `runtime/tune.rs`); shared by clones.
    gemm: Arc<OnceLock<GemmDecision>>,
    /// The depthwise form, decided at first use; shared by clones.
    depthwise: Arc<OnceLock<DepthwiseDecision>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Context({} on {:?})", self.shared.info.name, self.shared.info.backend)
    }
}

impl Context {
    /// The default adapter (`WGTF_BACKEND` and `WGTF_ADAPTER` pick another).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new() -> Result<Context> {
        Context::new_with(ContextOptions::default())
    }

    /// An adapter chosen by `opts` (blocking: [`Context::new_async`] awaits).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new_with(opts: ContextOptions) -> Result<Context> {
        super::platform::block_on(Context::new_async(opts))
    }

    /// An adapter chosen by `opts`, awaited (in browsers: a WebGPU adapter and device).
    pub async fn new_async(opts: ContextOptions) -> Result<Context> {
        let backends = match opts.backends {
            Some(b) => b,
            None => backends_from_env()?,
        };
        let instance = new_instance(backends);
        let gemm = match opts.gemm {
            Some(s) => (s, Source::Option),
            None => (GemmSetting::from_env()?.unwrap_or_default(), Source::Env),
        };
        let depthwise = match opts.depthwise {
            Some(s) => (s, Source::Option),
            None => (DepthwiseSetting::from_env()?.unwrap_or_default(), Source::Env),
        };
        let index = match opts.adapter {
            Some(i) => Some(i),
            None => match std::env::var("WGTF_ADAPTER") {
                Ok(s) if !s.is_empty() => {
                    Some(s.parse::<usize>().map_err(|_| Error::Other(format!("WGTF_ADAPTER={s}: expected an index")))?)
                }
                _ => None,
            },
        };
        let adapter = match index {
            Some(i) => {
                let mut all = instance.enumerate_adapters(backends).await;
                if i >= all.len() {
                    return Err(Error::NoAdapter(format!(
                        " with index {i} ({} adapters; `wgtf devices` lists them)",
                        all.len()
                    )));
                }
                all.swap_remove(i)
            }
            None => instance
                .request_adapter(&wgpu::RequestAdapterOptions {
                    power_preference: opts.power,
                    force_fallback_adapter: false,
                    compatible_surface: None,
                    apply_limit_buckets: false,
                })
                .await
                .map_err(|e| Error::NoAdapter(format!(" ({e})")))?,
        };
        let wanted = wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::SHADER_F16 | wgpu::Features::SUBGROUP | wgpu::Features::SHADER_INT64;
        let features = adapter.features() & wanted & !opts.without;
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("wgtf"),
                required_features: features,
                required_limits: opts.limits.clone().unwrap_or_else(|| adapter.limits()),
                experimental_features: wgpu::ExperimentalFeatures::disabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            })
            .await
            .map_err(|e| Error::Device(format!("cannot open the device: {e}")))?;
        let mut ctx = Context::from_parts(device, queue, adapter.get_info(), opts.batch_invariant, (gemm, depthwise), adapter.features());
        if let Some(shared) = Arc::get_mut(&mut ctx.shared) {
            shared.gemm_cache = opts.gemm_cache;
        }
        Ok(ctx)
    }

    /// Runs models on a device the application already has (a game, a viewer).
    pub fn from_device(device: wgpu::Device, queue: wgpu::Queue) -> Context {
        let info = device.adapter_info();
        // An unknown WGTF_GEMM or WGTF_DEPTHWISE cannot fail here: it is ignored (auto).
        let gemm = GemmSetting::from_env().ok().flatten().unwrap_or_default();
        let depthwise = DepthwiseSetting::from_env().ok().flatten().unwrap_or_default();
        let features = device.features();
        Context::from_parts(device, queue, info, false, ((gemm, Source::Env), (depthwise, Source::Env)), features)
    }

    /// `settings`: the GEMM kernel's and the depthwise form's, and where each came from.
    fn from_parts(device: wgpu::Device, queue: wgpu::Queue, info: wgpu::AdapterInfo, batch_invariant: bool, settings: ((GemmSetting, Source), (DepthwiseSetting, Source)), adapter_features: wgpu::Features) -> Context {
        let (gemm, depthwise) = settings;
        let lost = Arc::new(AtomicBool::new(false));
        {
            let lost = lost.clone();
            device.set_device_lost_callback(move |_reason, _msg| lost.store(true, Ordering::SeqCst));
        }
        // Errors are caught with error scopes where they can happen; anything else is reported,
        // never a panic.
        let uncaptured = Arc::new(Mutex::new(None));
        {
            let first = uncaptured.clone();
            device.on_uncaptured_error(Arc::new(move |e| {
                #[cfg(not(target_arch = "wasm32"))]
                eprintln!("wgtf: uncaptured GPU error: {e}");
                let mut f = first.lock().unwrap_or_else(|p| p.into_inner());
                if f.is_none() {
                    *f = Some(e.to_string());
                }
            }));
        }
        let limits = device.limits();
        Context {
            shared: Arc::new(Shared {
                device,
                queue,
                info,
                limits,
                pipelines: Mutex::new(HashMap::new()),
                stats: Arc::new(ContextStats::default()),
                lost,
                uncaptured,
                batch_invariant,
                gemm,
                depthwise,
                tuned: OnceLock::new(),
                adapter_features,
                gemm_cache: None,
            }),
            gemm: Arc::new(OnceLock::new()),
            depthwise: Arc::new(OnceLock::new()),
        }
    }

    pub fn device(&self) -> &wgpu::Device {
        &self.shared.device
    }
    pub fn queue(&self) -> &wgpu::Queue {
        &self.shared.queue
    }
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.shared.info
    }
    pub fn limits(&self) -> &wgpu::Limits {
        &self.shared.limits
    }
    /// The GEMM kernel of this context's matrix products and convolutions, and where it came
    /// from: decided at the first call (the first model load), which may autotune (see
    /// [`ContextOptions::gemm`] and `WGTF_GEMM`).
    pub fn gemm(&self) -> &GemmDecision {
        self.gemm.get_or_init(|| super::tune::decide(self, self.shared.gemm.0, self.shared.gemm.1, self.tune_asked()))
    }

    /// The depthwise form of this context's depthwise convolutions, and where it came from:
    /// decided at the first call, by the same autotune as the GEMM kernel (see
    /// [`ContextOptions::depthwise`] and `WGTF_DEPTHWISE`).
    pub fn depthwise(&self) -> &DepthwiseDecision {
        self.depthwise.get_or_init(|| super::tune::decide(self, self.shared.depthwise.0, self.shared.depthwise.1, self.tune_asked()))
    }

    /// A setting of this context asks for the autotune (`tune`), on CPU adapters too.
    fn tune_asked(&self) -> bool {
        self.shared.gemm.0 == GemmSetting::Tune || self.shared.depthwise.0 == DepthwiseSetting::Tune
    }

    /// This context with its GEMM kernel forced to `choice` (the same device, pipelines and
    /// memory counters; a kernel the device cannot run: the rule's).
    pub fn with_gemm(&self, choice: GemmChoice) -> Context {
        let d = super::tune::decide(self, GemmSetting::Force(choice), Source::Option, false);
        Context { shared: self.shared.clone(), gemm: Arc::new(OnceLock::from(d)), depthwise: self.depthwise.clone() }
    }

    /// This context with its depthwise form forced to `choice` (as [`Context::with_gemm`]).
    pub fn with_depthwise(&self, choice: DepthwiseChoice) -> Context {
        let d = super::tune::decide(self, DepthwiseSetting::Force(choice), Source::Option, false);
        Context { shared: self.shared.clone(), gemm: self.gemm.clone(), depthwise: Arc::new(OnceLock::from(d)) }
    }

    /// This context with both choices forced, neither decided by the autotune: what the
    /// autotune times each candidate with.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn with_choices(&self, gemm: GemmChoice, depthwise: DepthwiseChoice) -> Context {
        let g = super::tune::decide(self, GemmSetting::Force(gemm), Source::Option, false);
        let d = super::tune::decide(self, DepthwiseSetting::Force(depthwise), Source::Option, false);
        Context { shared: self.shared.clone(), gemm: Arc::new(OnceLock::from(g)), depthwise: Arc::new(OnceLock::from(d)) }
    }

    /// The adapter traits lowering chooses kernels by (the GEMM kernel: [`Context::gemm`]; the
    /// depthwise form: [`Context::depthwise`]).
    pub fn target(&self) -> crate::kernel::Target {
        let gemm = self.gemm().choice;
        let depthwise = self.depthwise().choice;
        let int64 = self.shared.device.features().contains(wgpu::Features::SHADER_INT64);
        let max_binding = (self.shared.limits.max_storage_buffer_binding_size as u64).min(self.shared.limits.max_buffer_size);
        let subgroups = self.shared.device.features().contains(wgpu::Features::SUBGROUP);
        crate::kernel::Target { gemm, depthwise, int64, max_binding, subgroups, batch_invariant: self.shared.batch_invariant, f16: false }
    }

    /// Compute pipelines compiled in this context so far.
    pub fn pipelines_created(&self) -> u64 {
        self.shared.stats.pipelines_created.load(Ordering::Relaxed)
    }
    /// Bytes of GPU buffers alive in this context (all models).
    pub fn memory_bytes(&self) -> u64 {
        self.shared.stats.bytes_live.load(Ordering::Relaxed)
    }
    /// GPU buffers alive in this context.
    pub fn buffers_live(&self) -> u64 {
        self.shared.stats.buffers_live.load(Ordering::Relaxed)
    }

    /// The pipeline of a shader variant, compiled on first use and shared afterwards.
    pub(crate) fn pipeline(&self, v: &ShaderVariant) -> Result<Arc<Pipeline>> {
        if let Some(p) = self.shared.pipelines.lock().unwrap_or_else(|e| e.into_inner()).get(v) {
            return Ok(p.clone());
        }
        let src = v.source().map_err(Error::Other)?;
        let label = v.label();
        let device = &self.shared.device;
        let scope = super::platform::Scope::push(device, wgpu::ErrorFilter::Validation);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(&label),
            source: wgpu::ShaderSource::Wgsl(src.into()),
        });
        let constants: Vec<(&str, f64)> = v.overrides.iter().map(|(n, x)| (*n, *x as f64)).collect();
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(&label),
            layout: None,
            module: &module,
            entry_point: Some(v.entry),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants: &constants,
                zero_initialize_workgroup_memory: false,
            },
            cache: None,
        });
        if let Some(e) = scope.error() {
            return Err(Error::Device(format!("compiling {label}: {e}")));
        }
        let layout = pipeline.get_bind_group_layout(0);
        let p = Arc::new(Pipeline { pipeline, layout, label });
        let mut map = self.shared.pipelines.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.entry(v.clone()).or_insert_with(|| {
            self.shared.stats.pipelines_created.fetch_add(1, Ordering::Relaxed);
            p
        });
        Ok(entry.clone())
    }

    /// A storage buffer counted in this context's memory.
    pub(crate) fn buffer(&self, label: &str, size: u64, usage: wgpu::BufferUsages) -> Result<GpuBuffer> {
        let l = &self.shared.limits;
        if size > l.max_buffer_size {
            return Err(Error::OutOfMemory(format!(
                "{label}: a buffer of {size} bytes exceeds the adapter's max_buffer_size of {}",
                l.max_buffer_size
            )));
        }
        let scope = super::platform::Scope::push(&self.shared.device, wgpu::ErrorFilter::OutOfMemory);
        let buf = self.shared.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage,
            mapped_at_creation: false,
        });
        if let Some(e) = scope.error() {
            return Err(Error::OutOfMemory(format!("{label} ({size} bytes): {e}")));
        }
        let s = &self.shared.stats;
        s.buffers_live.fetch_add(1, Ordering::Relaxed);
        let now = s.bytes_live.fetch_add(size, Ordering::Relaxed) + size;
        s.bytes_peak.fetch_max(now, Ordering::Relaxed);
        Ok(GpuBuffer { buf, size, stats: s.clone() })
    }

    /// A GPU error of a run, with the first error no scope caught when there was one (what made
    /// the object the run used invalid).
    pub(crate) fn gpu_error(&self, what: &str, e: impl std::fmt::Display) -> Error {
        match self.shared.uncaptured.lock().unwrap_or_else(|p| p.into_inner()).as_deref() {
            Some(first) => Error::Device(format!("{what}: {e} (the first GPU error: {first})")),
            None => Error::Device(format!("{what}: {e}")),
        }
    }

    /// An error if the device was lost.
    pub(crate) fn check_alive(&self) -> Result<()> {
        if self.shared.lost.load(Ordering::SeqCst) {
            return Err(Error::Device("the GPU device was lost; create a new Context".into()));
        }
        Ok(())
    }
}

/// A buffer that counts itself in its context's memory and is freed when dropped.
pub(crate) struct GpuBuffer {
    pub buf: wgpu::Buffer,
    pub size: u64,
    stats: Arc<ContextStats>,
}

impl Drop for GpuBuffer {
    fn drop(&mut self) {
        self.buf.destroy();
        self.stats.buffers_live.fetch_sub(1, Ordering::Relaxed);
        self.stats.bytes_live.fetch_sub(self.size, Ordering::Relaxed);
    }
}
