//! Shared test helpers: the GPU context (a missing adapter fails loudly, never skips) and the
//! fixture cases under tests/fixtures/cases.
#![allow(dead_code)]
use std::path::{Path, PathBuf};

pub mod float_graph;

use wgtf::{Context, Tensor};

/// The GPU context for tests. With no adapter the test fails with instructions: in CI a skip
/// would hide a broken set-up (CI always has lavapipe).
pub fn context() -> Context {
    match Context::new_with(options()) {
        Ok(c) => c,
        Err(e) => panic!(
            "\n\n*** NO GPU ADAPTER: {e}\n*** GPU tests cannot run. Install a Vulkan driver \
             (apt-get install mesa-vulkan-drivers libvulkan1) and run again.\n\n"
        ),
    }
}

/// The options of test contexts: the GEMM and depthwise kernels by rule (no autotune, whatever
/// the user's cache holds: the same kernels every run) unless `WGTF_GEMM` / `WGTF_DEPTHWISE`
/// choose (the GPU kit runs the suite with each kernel).
pub fn options() -> wgtf::ContextOptions {
    let gemm = std::env::var_os("WGTF_GEMM").is_none().then_some(wgtf::GemmSetting::Rule);
    let depthwise = std::env::var_os("WGTF_DEPTHWISE").is_none().then_some(wgtf::DepthwiseSetting::Rule);
    wgtf::ContextOptions { gemm, depthwise, ..Default::default() }
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cases")
}

/// A list of fixture cases in tests/fixtures/`file` (`name # why` per line): name → why.
#[allow(dead_code)]
pub fn listed(file: &str) -> std::collections::BTreeMap<String, String> {
    std::fs::read_to_string(fixtures_dir().join("..").join(file))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (name, why) = l.split_once('#').unwrap_or((l, ""));
            let name = name.trim();
            (!name.is_empty()).then(|| (name.to_string(), why.trim().to_string()))
        })
        .collect()
}

/// The fixture case directories, sorted.
#[allow(dead_code)]
pub fn case_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(fixtures_dir()).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    dirs
}

/// One fixture case (the same format as the shared conformance cases).
pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    pub model: PathBuf,
    pub feeds: Vec<(String, PathBuf)>,
    pub fetches: Vec<(String, PathBuf, f64, f64)>,
}

pub fn load_case(dir: &Path) -> Case {
    use serde_json::Value;
    let text = std::fs::read_to_string(dir.join("case.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", dir.join("case.json").display()));
    let num = |v: Option<&Value>, d: f64| v.and_then(Value::as_f64).unwrap_or(d);
    let rtol = num(v.get("rtol"), 1e-5);
    let atol = num(v.get("atol"), 1e-6);
    let entries = |k: &str| v.get(k).and_then(Value::as_object).cloned().unwrap_or_default();
    let feeds = entries("feeds").iter().map(|(k, p)| (k.clone(), dir.join(p.as_str().unwrap()))).collect();
    let fetches = entries("fetches")
        .iter()
        .map(|(k, p)| {
            let t = v.get("fetch_tolerances").and_then(|t| t.get(k));
            let r = num(t.and_then(|t| t.get("rtol")), rtol);
            let a = num(t.and_then(|t| t.get("atol")), atol);
            (k.clone(), dir.join(p.as_str().unwrap()), r, a)
        })
        .collect();
    Case {
        name: v.get("name").and_then(Value::as_str).unwrap_or("?").to_string(),
        dir: dir.to_path_buf(),
        model: dir.join(v.get("model").and_then(Value::as_str).unwrap_or("model.pb")),
        feeds,
        fetches,
    }
}

/// Compares like check.py: same shape, same dtype kind, |got-want| <= atol + rtol·|want|
/// (integers and bools exactly). Returns an error message, or (max abs, max rel) errors.
pub fn compare(got: &Tensor, want: &Tensor, rtol: f64, atol: f64) -> Result<(f64, f64), String> {
    if got.shape() != want.shape() {
        return Err(format!("shape {:?}, want {:?}", got.shape(), want.shape()));
    }
    let kind = |d: wgtf::DType| if d.is_float() { 'f' } else if d == wgtf::DType::Bool { 'b' } else { 'i' };
    if kind(got.dtype()) != kind(want.dtype()) {
        return Err(format!("dtype {}, want {}", got.dtype(), want.dtype()));
    }
    let exact = !want.dtype().is_float();
    let (g, w) = (got.to_f64_vec().unwrap(), want.to_f64_vec().unwrap());
    let (mut ma, mut mr) = (0f64, 0f64);
    for (i, (&a, &b)) in g.iter().zip(&w).enumerate() {
        if a.is_nan() && b.is_nan() {
            continue;
        }
        let d = (a - b).abs();
        let ok = if exact { d == 0.0 } else { approx::relative_eq!(a, b, epsilon = atol, max_relative = rtol) || d <= atol + rtol * b.abs() };
        if !ok || (a.is_nan() != b.is_nan()) {
            return Err(format!("element {i}: got {a}, want {b} (rtol {rtol}, atol {atol})"));
        }
        ma = ma.max(d);
        if b.abs() > 1e-6 {
            mr = mr.max(d / b.abs());
        }
    }
    Ok((ma, mr))
}

/// Runs a case through the library; returns per-fetch (max abs, max rel) or an error.
pub fn run_case(ctx: &Context, case: &Case) -> Result<Vec<(f64, f64)>, String> {
    let model = ctx.load(&case.model).map_err(|e| e.to_string())?;
    let feeds: Vec<(String, Tensor)> = case.feeds.iter().map(|(n, p)| (n.clone(), Tensor::read_npy(p).unwrap())).collect();
    let f: Vec<(&str, &Tensor)> = feeds.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let names: Vec<&str> = case.fetches.iter().map(|(n, ..)| n.as_str()).collect();
    let outs = model.run(&f, &names).map_err(|e| e.to_string())?;
    let mut errs = Vec::new();
    for ((name, want, rtol, atol), got) in case.fetches.iter().zip(&outs) {
        let want = Tensor::read_npy(want).unwrap();
        errs.push(compare(got, &want, *rtol, *atol).map_err(|e| format!("{name}: {e}"))?);
    }
    Ok(errs)
}
