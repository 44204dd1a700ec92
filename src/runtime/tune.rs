//! The kernel choices of an adapter: the GEMM kernel ([`crate::kernel::Target::gemm`]) and the
//! depthwise form ([`crate::kernel::Target::depthwise`]). Each is forced (`WGTF_GEMM`,
//! `WGTF_DEPTHWISE`, [`crate::ContextOptions::gemm`] / [`crate::ContextOptions::depthwise`]),
//! by rule, or by an autotune that times each candidate (GEMM kernels on a matrix product and a
//! convolution, depthwise forms on two MobileNet-like depthwise convolutions) and keeps the
//! fastest, cached on disk per adapter, driver and wgtf version (`tune/cache.rs`). One autotune
//! decides both, once per device; each choice is decided once per [`Context`], at its first
//! model load (or [`Context::gemm`], [`Context::depthwise`]); lowering only reads them.
mod bench;
pub mod cache;

use std::sync::Mutex;

use super::context::Context;
use crate::error::{Error, Result};
use crate::kernel::{DepthwiseChoice, GemmChoice};
pub use cache::{cache_dir, cache_file, load_cached, lookup, store, Cached, CacheKey, Lookup};

/// A kernel choice the runtime makes per adapter.
pub trait Choice: Copy + Eq + std::fmt::Debug + std::fmt::Display + Send + Sync + 'static {
    /// The environment variable that sets it.
    const ENV: &'static str;
    /// Every choice, in the order the autotune times them.
    fn all() -> &'static [Self];
    /// Its name in `ENV`, the cache and `wgtf devices`.
    fn name(self) -> &'static str;
    /// The choices the context's device can run.
    fn candidates(ctx: &Context) -> Vec<Self>;
    /// The choice without timing.
    fn rule(ctx: &Context) -> Self;
    /// What an autotune (or the cache) chose, and the scores of this autotune.
    fn of(t: &Tuned) -> (Self, Vec<(Self, f64)>);
}

impl Choice for GemmChoice {
    const ENV: &'static str = "WGTF_GEMM";
    fn all() -> &'static [GemmChoice] {
        &GemmChoice::ALL
    }
    fn name(self) -> &'static str {
        GemmChoice::name(self)
    }
    fn candidates(ctx: &Context) -> Vec<GemmChoice> {
        candidates(ctx)
    }
    fn rule(ctx: &Context) -> GemmChoice {
        rule(ctx)
    }
    fn of(t: &Tuned) -> (GemmChoice, Vec<(GemmChoice, f64)>) {
        (t.choice.gemm, t.gemm_scores.clone())
    }
}

impl Choice for DepthwiseChoice {
    const ENV: &'static str = "WGTF_DEPTHWISE";
    fn all() -> &'static [DepthwiseChoice] {
        &DepthwiseChoice::ALL
    }
    fn name(self) -> &'static str {
        DepthwiseChoice::name(self)
    }
    /// Every form: both need only vec4 loads.
    fn candidates(_: &Context) -> Vec<DepthwiseChoice> {
        DepthwiseChoice::ALL.to_vec()
    }
    /// The 4-column form (wgtf's choice before the autotune; CPU adapters, where invocations
    /// cost).
    fn rule(_: &Context) -> DepthwiseChoice {
        DepthwiseChoice::Cols4
    }
    fn of(t: &Tuned) -> (DepthwiseChoice, Vec<(DepthwiseChoice, f64)>) {
        (t.choice.depthwise, t.depthwise_scores.clone())
    }
}

/// How a context makes a choice (`WGTF_GEMM=auto|rule|tune|tiled|subgroup|large`,
/// `WGTF_DEPTHWISE=auto|rule|tune|cols4|cols1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting<C> {
    /// GPUs: the cached choice for this adapter, driver and wgtf version, else an autotune
    /// (then cached). CPU adapters (lavapipe, SwiftShader): the rule, without timing, unless
    /// the other choice's setting is `tune`.
    Auto,
    /// No timing: GEMM: the subgroup kernel on CPU adapters with subgroups of at least 8 lanes,
    /// the tiled one elsewhere; depthwise: 4 columns per invocation (wgtf's choices before the
    /// autotune).
    Rule,
    /// As `Auto`, on CPU adapters too (the autotune then decides both choices that are `auto`
    /// or `tune`).
    Tune,
    /// This choice (where the adapter cannot run it: the rule's).
    Force(C),
}

impl<C> Default for Setting<C> {
    fn default() -> Self {
        Setting::Auto
    }
}

/// The GEMM kernel's setting (`WGTF_GEMM`).
pub type GemmSetting = Setting<GemmChoice>;
/// The depthwise form's setting (`WGTF_DEPTHWISE`).
pub type DepthwiseSetting = Setting<DepthwiseChoice>;

impl<C: Choice> Setting<C> {
    /// A setting by name: `auto`, `rule`, `tune`, or a choice's name.
    pub fn parse(s: &str) -> Result<Setting<C>> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Setting::Auto),
            "rule" => Ok(Setting::Rule),
            "tune" => Ok(Setting::Tune),
            other => C::all().iter().copied().find(|c| c.name() == other).map(Setting::Force).ok_or_else(|| {
                let names: Vec<&str> = C::all().iter().map(|c| c.name()).collect();
                let (last, rest) = names.split_last().map_or(("", &[][..]), |(l, r)| (*l, r));
                Error::Other(format!("{}={s}: expected auto, rule, tune, {} or {last}", C::ENV, rest.join(", ")))
            }),
        }
    }

    /// The environment variable (`None` where unset or empty); an unknown value is an error.
    pub fn from_env() -> Result<Option<Setting<C>>> {
        match std::env::var(C::ENV) {
            Ok(s) if !s.trim().is_empty() => Setting::parse(&s).map(Some),
            _ => Ok(None),
        }
    }
}

/// Where a context's choice came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// [`crate::ContextOptions`].
    Option,
    /// The environment (`WGTF_GEMM`, `WGTF_DEPTHWISE`).
    Env,
    /// The rule (CPU adapters, `rule`, or where an autotune failed).
    Rule,
    /// The disk cache (or an autotune of this adapter earlier in this process).
    Cache,
    /// An autotune just now.
    Autotune,
}

/// Where the GEMM kernel came from (the name before the depthwise choice).
pub type GemmSource = Source;

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::Option => "option",
            Source::Env => "env",
            Source::Rule => "rule",
            Source::Cache => "cache",
            Source::Autotune => "autotune",
        })
    }
}

/// A context's choice, where it came from, and what the autotune measured.
#[derive(Clone, Debug)]
pub struct Decision<C> {
    pub choice: C,
    pub source: Source,
    /// Each candidate's score when tuned just now: its time relative to the fastest candidate,
    /// summed over the shapes timed (lower is faster; the best possible is the number of shapes).
    pub scores: Vec<(C, f64)>,
    /// What was noticed on the way: an ignored cache file (corrupt, stale), a cache that could
    /// not be written, a forced choice the adapter cannot run, a failed autotune.
    pub notes: Vec<String>,
    /// Milliseconds the autotune took (GEMM and depthwise together; 0 without one).
    pub tune_ms: f64,
}

/// A context's GEMM kernel.
pub type GemmDecision = Decision<GemmChoice>;
/// A context's depthwise form.
pub type DepthwiseDecision = Decision<DepthwiseChoice>;

impl<C: Choice> Decision<C> {
    pub(crate) fn fixed(choice: C, source: Source) -> Decision<C> {
        Decision { choice, source, scores: Vec::new(), notes: Vec::new(), tune_ms: 0.0 }
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

/// The GEMM kernels the context's device can run: the tiled one always; the subgroup one with
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

/// The GEMM rule: the subgroup kernel on CPU adapters that have it (loads cost there), else
/// tiled.
pub fn rule(ctx: &Context) -> GemmChoice {
    let cpu = ctx.adapter_info().device_type == wgpu::DeviceType::Cpu;
    if cpu && candidates(ctx).contains(&GemmChoice::Subgroup) {
        GemmChoice::Subgroup
    } else {
        GemmChoice::Tiled
    }
}

/// Decides a choice of `ctx` by `setting` (`forced_by`: where a forced choice came from;
/// `tune_asked`: a setting of the context is `tune`, so `auto` tunes on CPU adapters too).
pub(crate) fn decide<C: Choice>(ctx: &Context, setting: Setting<C>, forced_by: Source, tune_asked: bool) -> Decision<C> {
    match setting {
        Setting::Force(c) => {
            if C::candidates(ctx).contains(&c) {
                return Decision::fixed(c, forced_by);
            }
            let r = C::rule(ctx);
            let mut d = Decision::fixed(r, forced_by);
            d.notes.push(format!("this adapter cannot run {c}: {r}"));
            d
        }
        Setting::Rule => Decision::fixed(C::rule(ctx), Source::Rule),
        Setting::Auto if !tune_asked && ctx.adapter_info().device_type == wgpu::DeviceType::Cpu => Decision::fixed(C::rule(ctx), Source::Rule),
        Setting::Auto | Setting::Tune => {
            let t = ctx.shared.tuned.get_or_init(|| tuned(ctx));
            let (choice, scores) = C::of(t);
            Decision { choice, source: t.source, scores, notes: t.notes.clone(), tune_ms: t.tune_ms }
        }
    }
}

/// What the autotune (or the cache) decided for a device.
#[derive(Clone, Debug)]
pub struct Tuned {
    pub choice: Cached,
    pub gemm_scores: Vec<(GemmChoice, f64)>,
    pub depthwise_scores: Vec<(DepthwiseChoice, f64)>,
    pub source: Source,
    pub notes: Vec<String>,
    pub tune_ms: f64,
}

impl Tuned {
    fn fixed(choice: Cached, source: Source, notes: Vec<String>) -> Tuned {
        Tuned { choice, gemm_scores: Vec::new(), depthwise_scores: Vec::new(), source, notes, tune_ms: 0.0 }
    }
}

/// Autotunes of this process, by adapter and GEMM candidates (a context without subgroups
/// differs), where no cache directory can be written: one autotune per adapter and process then.
static TUNED: Mutex<Vec<(CacheKey, Vec<GemmChoice>, Cached)>> = Mutex::new(Vec::new());

/// The cached choices, else an autotune (stored in the cache; in memory only where no cache
/// directory can be written). A failed autotune falls back to the rules.
fn tuned(ctx: &Context) -> Tuned {
    let rules = Cached { gemm: rule(ctx), depthwise: <DepthwiseChoice as Choice>::rule(ctx) };
    if cfg!(target_arch = "wasm32") {
        // Browsers: no blocking runs to time, no files.
        return Tuned::fixed(rules, Source::Rule, Vec::new());
    }
    let key = CacheKey::of(ctx.adapter_info());
    let cands = candidates(ctx);
    let all = cands == candidates_all(ctx);
    let mut notes = Vec::new();
    let path = ctx.shared.gemm_cache.clone().or_else(cache_dir).map(|d| cache_file(&d));
    match &path {
        Some(p) => match lookup(p, &key) {
            Lookup::Hit(c) if cands.contains(&c.gemm) => return Tuned::fixed(c, Source::Cache, notes),
            Lookup::Hit(c) => notes.push(format!("the cached {} kernel cannot run with this context's features: tuned again (not cached)", c.gemm)),
            Lookup::Missing => {}
            Lookup::Corrupt(why) => notes.push(format!("ignored the cache: {why}")),
            Lookup::Stale(why) => notes.push(format!("ignored a stale cache entry: {why}")),
        },
        None => {
            let memo = TUNED.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|(k, c, _)| k == &key && c == &cands).map(|e| e.2);
            if let Some(c) = memo {
                return Tuned::fixed(c, Source::Cache, notes);
            }
            notes.push("no writable cache directory ($WGTF_CACHE_DIR, $XDG_CACHE_HOME/wgtf, $HOME/.cache/wgtf): the choice is kept in memory".into());
        }
    }
    let t0 = std::time::Instant::now();
    let dw_cands = <DepthwiseChoice as Choice>::candidates(ctx);
    let scores = bench::gemm_scores(ctx, &cands).and_then(|g| Ok((g, bench::depthwise_scores(ctx, &dw_cands)?)));
    let (gemm_scores, depthwise_scores) = match scores {
        Ok(s) => s,
        Err(e) => {
            notes.push(format!("the autotune failed ({e}): the rules' choices"));
            return Tuned::fixed(rules, Source::Rule, notes);
        }
    };
    let tune_ms = t0.elapsed().as_secs_f64() * 1e3;
    let choice = Cached { gemm: fastest(&gemm_scores).unwrap_or(rules.gemm), depthwise: fastest(&depthwise_scores).unwrap_or(rules.depthwise) };
    TUNED.lock().unwrap_or_else(|e| e.into_inner()).push((key.clone(), cands, choice));
    if let (Some(p), true) = (&path, all) {
        if let Err(e) = store(p, &key, choice, &gemm_scores, &depthwise_scores) {
            notes.push(format!("cannot write the cache {}: {e}", p.display()));
        }
    }
    Tuned { choice, gemm_scores, depthwise_scores, source: Source::Autotune, notes, tune_ms }
}

/// The candidate with the lowest score.
fn fastest<C: Copy>(scores: &[(C, f64)]) -> Option<C> {
    scores.iter().min_by(|a, b| a.1.total_cmp(&b.1)).map(|s| s.0)
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
