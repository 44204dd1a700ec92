//! The GEMM kernel of an adapter ([`crate::kernel::Target::gemm`]): forced (`WGTF_GEMM`,
//! [`crate::ContextOptions::gemm`]), by rule, or by an autotune that times each candidate
//! kernel on a matrix product and a convolution and keeps the fastest, cached on disk per
//! adapter, driver and wgtf version (`tune/cache.rs`). Decided once per [`Context`], at its first
//! model load (or [`Context::gemm`]); lowering only reads the choice.
pub mod cache;

use std::sync::Mutex;

use super::context::Context;
use crate::error::{Error, Result};
use crate::kernel::GemmChoice;
pub use cache::{cache_dir, cache_file, load_cached, lookup, store, CacheKey, Lookup};

/// How a context chooses its GEMM kernel (`WGTF_GEMM=auto|rule|tune|tiled|subgroup|large`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GemmSetting {
    /// GPUs: the cached choice for this adapter, driver and wgtf version, else an autotune
    /// (then cached). CPU adapters (lavapipe, SwiftShader): the rule, without timing.
    #[default]
    Auto,
    /// No timing: the subgroup kernel on CPU adapters with subgroups of at least 8 lanes, the
    /// tiled one elsewhere (wgtf's choice before the autotune).
    Rule,
    /// As `Auto`, on CPU adapters too.
    Tune,
    /// This kernel (where the adapter cannot run it: the tiled one).
    Force(GemmChoice),
}

impl GemmSetting {
    /// A setting by name: `auto`, `rule`, `tune`, or a kernel (`tiled`, `subgroup`, `large`).
    pub fn parse(s: &str) -> Result<GemmSetting> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(GemmSetting::Auto),
            "rule" => Ok(GemmSetting::Rule),
            "tune" => Ok(GemmSetting::Tune),
            other => GemmChoice::parse(other)
                .map(GemmSetting::Force)
                .ok_or_else(|| Error::Other(format!("WGTF_GEMM={s}: expected auto, rule, tune, tiled, subgroup or large"))),
        }
    }

    /// `WGTF_GEMM` (`None` where unset or empty); an unknown value is an error.
    pub fn from_env() -> Result<Option<GemmSetting>> {
        match std::env::var("WGTF_GEMM") {
            Ok(s) if !s.trim().is_empty() => GemmSetting::parse(&s).map(Some),
            _ => Ok(None),
        }
    }
}

/// Where a context's GEMM kernel came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GemmSource {
    /// [`crate::ContextOptions::gemm`].
    Option,
    /// `WGTF_GEMM`.
    Env,
    /// The rule (CPU adapters, `rule`, or where an autotune failed).
    Rule,
    /// The disk cache (or an autotune of this adapter earlier in this process).
    Cache,
    /// An autotune just now.
    Autotune,
}

impl std::fmt::Display for GemmSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GemmSource::Option => "option",
            GemmSource::Env => "env",
            GemmSource::Rule => "rule",
            GemmSource::Cache => "cache",
            GemmSource::Autotune => "autotune",
        })
    }
}

/// A context's GEMM kernel, where it came from, and what the autotune measured.
#[derive(Clone, Debug)]
pub struct GemmDecision {
    pub choice: GemmChoice,
    pub source: GemmSource,
    /// Each candidate's score when tuned just now: its time relative to the fastest candidate,
    /// summed over the shapes timed (lower is faster; the best possible is the number of shapes).
    pub scores: Vec<(GemmChoice, f64)>,
    /// What was noticed on the way: an ignored cache file (corrupt, stale), a cache that could
    /// not be written, a forced kernel the adapter cannot run, a failed autotune.
    pub notes: Vec<String>,
    /// Milliseconds the autotune took (0 without one).
    pub tune_ms: f64,
}

impl GemmDecision {
    pub(crate) fn fixed(choice: GemmChoice, source: GemmSource) -> GemmDecision {
        GemmDecision { choice, source, scores: Vec::new(), notes: Vec::new(), tune_ms: 0.0 }
    }

    /// One line: `large (autotune: large 2.00, tiled 2.71, subgroup 3.40; 412 ms)`.
    pub fn summary(&self) -> String {
        let mut s = format!("{} ({}", self.choice, self.source);
        if !self.scores.is_empty() {
            let list: Vec<String> = self.scores.iter().map(|(c, v)| format!("{c} {v:.2}")).collect();
            s += &format!(": {}; {:.0} ms", list.join(", "), self.tune_ms);
        }
        s + ")"
    }
}

/// The kernels the context's device can run: the tiled one always; the subgroup one with
/// subgroups of at least 8 lanes; the large one with 16 KiB of workgroup memory.
pub fn candidates(ctx: &Context) -> Vec<GemmChoice> {
    let info = ctx.adapter_info();
    let sub = ctx.device().features().contains(wgpu::Features::SUBGROUP) && info.subgroup_min_size >= 8;
    let l = ctx.limits();
    let large = l.max_compute_workgroup_storage_size >= 16384 && l.max_compute_invocations_per_workgroup >= 256;
    GemmChoice::ALL.into_iter().filter(|c| match c {
        GemmChoice::Tiled => true,
        GemmChoice::Subgroup => sub,
        GemmChoice::Large => large,
    }).collect()
}

/// The rule: the subgroup kernel on CPU adapters that have it (loads cost there), else tiled.
pub fn rule(ctx: &Context) -> GemmChoice {
    let cpu = ctx.adapter_info().device_type == wgpu::DeviceType::Cpu;
    if cpu && candidates(ctx).contains(&GemmChoice::Subgroup) {
        GemmChoice::Subgroup
    } else {
        GemmChoice::Tiled
    }
}

/// Decides the kernel of `ctx` by `setting` (`forced_by`: where a forced kernel came from).
pub(crate) fn decide(ctx: &Context, setting: GemmSetting, forced_by: GemmSource) -> GemmDecision {
    match setting {
        GemmSetting::Force(c) => {
            if candidates(ctx).contains(&c) {
                return GemmDecision::fixed(c, forced_by);
            }
            let mut d = GemmDecision::fixed(GemmChoice::Tiled, forced_by);
            d.notes.push(format!("this adapter cannot run the {c} kernel: tiled"));
            d
        }
        GemmSetting::Rule => GemmDecision::fixed(rule(ctx), GemmSource::Rule),
        GemmSetting::Auto if ctx.adapter_info().device_type == wgpu::DeviceType::Cpu => GemmDecision::fixed(rule(ctx), GemmSource::Rule),
        GemmSetting::Auto | GemmSetting::Tune => tuned(ctx),
    }
}

/// Autotunes of this process, by adapter and candidates (a context without subgroups differs),
/// where no cache directory can be written: one autotune per adapter and process then.
static TUNED: Mutex<Vec<(CacheKey, Vec<GemmChoice>, GemmChoice)>> = Mutex::new(Vec::new());

/// The cached choice, else an autotune (stored in the cache; in memory only where no cache
/// directory can be written). A failed autotune falls back to the rule.
fn tuned(ctx: &Context) -> GemmDecision {
    if cfg!(target_arch = "wasm32") {
        // Browsers: no blocking runs to time, no files.
        return GemmDecision::fixed(rule(ctx), GemmSource::Rule);
    }
    let key = CacheKey::of(ctx.adapter_info());
    let cands = candidates(ctx);
    let all = cands == candidates_all(ctx);
    let mut notes = Vec::new();
    let path = ctx.shared.gemm_cache.clone().or_else(cache_dir).map(|d| cache_file(&d));
    match &path {
        Some(p) => match lookup(p, &key) {
            Lookup::Hit(c) if cands.contains(&c) => return GemmDecision { notes, ..GemmDecision::fixed(c, GemmSource::Cache) },
            Lookup::Hit(c) => notes.push(format!("the cached {c} kernel cannot run with this context's features: tuned again (not cached)")),
            Lookup::Missing => {}
            Lookup::Corrupt(why) => notes.push(format!("ignored the cache: {why}")),
            Lookup::Stale(why) => notes.push(format!("ignored a stale cache entry: {why}")),
        },
        None => {
            let memo = TUNED.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|(k, c, _)| k == &key && c == &cands).map(|e| e.2);
            if let Some(c) = memo {
                return GemmDecision::fixed(c, GemmSource::Cache);
            }
            notes.push("no writable cache directory ($WGTF_CACHE_DIR, $XDG_CACHE_HOME/wgtf, $HOME/.cache/wgtf): the choice is kept in memory".into());
        }
    }
    let t0 = std::time::Instant::now();
    let scores = match autotune(ctx, &cands) {
        Ok(s) => s,
        Err(e) => {
            notes.push(format!("the autotune failed ({e}): the rule's kernel"));
            return GemmDecision { notes, ..GemmDecision::fixed(rule(ctx), GemmSource::Rule) };
        }
    };
    let tune_ms = t0.elapsed().as_secs_f64() * 1e3;
    let choice = scores.iter().min_by(|a, b| a.1.total_cmp(&b.1)).map_or(GemmChoice::Tiled, |s| s.0);
    TUNED.lock().unwrap_or_else(|e| e.into_inner()).push((key.clone(), cands, choice));
    if let (Some(p), true) = (&path, all) {
        if let Err(e) = store(p, &key, choice, &scores) {
            notes.push(format!("cannot write the cache {}: {e}", p.display()));
        }
    }
    GemmDecision { choice, source: GemmSource::Autotune, scores, notes, tune_ms }
}

/// The candidates of the adapter with every feature (a context made `without` some has fewer:
/// its autotune is not cached).
fn candidates_all(ctx: &Context) -> Vec<GemmChoice> {
    let sub_lost = !ctx.device().features().contains(wgpu::Features::SUBGROUP) && ctx.shared.adapter_features.contains(wgpu::Features::SUBGROUP);
    let mut c = candidates(ctx);
    if sub_lost && ctx.adapter_info().subgroup_min_size >= 8 {
        c.push(GemmChoice::Subgroup);
        c.sort_by_key(|x| GemmChoice::ALL.iter().position(|y| y == x));
    }
    c
}

/// The shapes timed: (M, K, N) of a matrix product, and (H = W, IC, OC) of a 3×3 convolution
/// of one image (M = H·W, K = 9·IC). Small on CPU adapters, where only `tune` times them.
#[cfg(not(target_arch = "wasm32"))]
fn shapes(ctx: &Context) -> ([usize; 3], [usize; 3]) {
    if ctx.adapter_info().device_type == wgpu::DeviceType::Cpu {
        ([256, 256, 256], [28, 32, 64])
    } else {
        ([1024, 1024, 1024], [56, 64, 64])
    }
}

/// Each candidate's score: its time relative to the fastest candidate's, summed over the shapes.
#[cfg(not(target_arch = "wasm32"))]
fn autotune(ctx: &Context, cands: &[GemmChoice]) -> Result<Vec<(GemmChoice, f64)>> {
    let ([m, k, n], [hw, ic, oc]) = shapes(ctx);
    let matmul = bench::matmul(m, k, n);
    let conv = bench::conv(hw, ic, oc);
    let reps = if ctx.adapter_info().device_type == wgpu::DeviceType::Cpu { 1 } else { 3 };
    let mut times: std::collections::HashMap<GemmChoice, Vec<f64>> = std::collections::HashMap::new();
    for (graph, feeds) in [&matmul, &conv] {
        for &c in cands {
            let view = ctx.with_gemm(c);
            let t = bench::time(&view, graph, feeds, reps)?;
            times.entry(c).or_default().push(t);
        }
    }
    let shapes = times.values().next().map_or(0, Vec::len);
    let best: Vec<f64> = (0..shapes).map(|i| times.values().map(|t| t[i]).fold(f64::INFINITY, f64::min).max(1e-9)).collect();
    Ok(cands.iter().map(|c| (*c, times[c].iter().zip(&best).map(|(t, b)| t / b).sum())).collect())
}

#[cfg(target_arch = "wasm32")]
fn autotune(_: &Context, _: &[GemmChoice]) -> Result<Vec<(GemmChoice, f64)>> {
    Err(Error::Other("no autotune in browsers".into()))
}

/// The graphs the autotune times.
#[cfg(not(target_arch = "wasm32"))]
mod bench {
    use crate::graph::Graph;
    use crate::proto::{attr_value, AttrValue, GraphDef, NodeDef};
    use crate::runtime::context::Context;
    use crate::tensor::Tensor;
    use crate::error::Result;

    pub type Case = (Graph, Vec<(&'static str, Tensor)>);

    fn node(name: &str, op: &str, inputs: &[&str], attrs: Vec<(&str, attr_value::Value)>) -> NodeDef {
        NodeDef {
            name: name.into(),
            op: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            attr: attrs.into_iter().map(|(k, v)| (k.to_string(), AttrValue { value: Some(v) })).collect(),
            ..Default::default()
        }
    }

    fn float() -> (&'static str, attr_value::Value) {
        ("T", attr_value::Value::Type(crate::proto::DataType::DtFloat as i32))
    }

    fn placeholder(name: &str) -> NodeDef {
        node(name, "Placeholder", &[], vec![("dtype", attr_value::Value::Type(crate::proto::DataType::DtFloat as i32))])
    }

    /// Values in [-1, 1) from a fixed sequence.
    fn values(shape: Vec<usize>) -> Tensor {
        let n: usize = shape.iter().product();
        let mut x = 12345u32;
        let v = (0..n).map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        });
        Tensor::from_f32(shape, v.collect()).expect("shape and values agree")
    }

    fn graph(nodes: Vec<NodeDef>) -> Graph {
        Graph::from_graph_def(GraphDef { node: nodes, ..Default::default() }, None).expect("a valid graph")
    }

    /// C = A·B, A [M, K], B [K, N].
    pub fn matmul(m: usize, k: usize, n: usize) -> Case {
        let g = graph(vec![placeholder("a"), placeholder("b"), node("c", "MatMul", &["a", "b"], vec![float()])]);
        (g, vec![("a", values(vec![m, k])), ("b", values(vec![k, n]))])
    }

    /// A 3×3 convolution, stride 1, SAME padding, of one [HW, HW, IC] image to OC channels.
    pub fn conv(hw: usize, ic: usize, oc: usize) -> Case {
        let list = |v: Vec<i64>| attr_value::Value::List(attr_value::ListValue { i: v, ..Default::default() });
        let attrs = vec![float(), ("strides", list(vec![1; 4])), ("dilations", list(vec![1; 4])), ("padding", attr_value::Value::S(b"SAME".to_vec())), ("data_format", attr_value::Value::S(b"NHWC".to_vec()))];
        let g = graph(vec![placeholder("x"), placeholder("f"), node("c", "Conv2D", &["x", "f"], attrs)]);
        (g, vec![("x", values(vec![1, hw, hw, ic])), ("f", values(vec![3, 3, ic, oc]))])
    }

    /// The fastest of `reps` runs in milliseconds, after one untimed run (compiling the
    /// pipelines): GPU time from timestamps where the adapter has them, else wall clock.
    pub fn time(ctx: &Context, graph: &Graph, feeds: &[(&'static str, Tensor)], reps: usize) -> Result<f64> {
        let model = crate::runtime::model::Model::from_graph(ctx, graph.clone())?;
        let feeds: Vec<(&str, &Tensor)> = feeds.iter().map(|(n, t)| (*n, t)).collect();
        model.run(&feeds, &["c"])?;
        let stamps = ctx.device().features().contains(wgpu::Features::TIMESTAMP_QUERY);
        let mut best = f64::INFINITY;
        for _ in 0..reps {
            let ms = if stamps {
                model.profile(&feeds, &["c"])?.iter().map(|k| k.nanos).sum::<f64>() / 1e6
            } else {
                let t0 = std::time::Instant::now();
                model.run(&feeds, &["c"])?;
                t0.elapsed().as_secs_f64() * 1e3
            };
            best = best.min(ms);
        }
        Ok(best)
    }
}
