//! `wgtf serve` under load: hot reload of a new version while clients keep asking (no request
//! fails; the old version drains and its GPU memory is freed), version policies and labels from
//! a TensorFlow Serving model config file, and dynamic batching (batches form, and every answer
//! is the bits of its rows run alone).
mod serve_util;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serve_util::*;
use wgtf::serve::{Batching, ModelSpec, Policy, ServeConfig, Server, Source};
use wgtf::{Context, ContextOptions, LoadOptions, Tensor};

const DIGITS: &str = "models/digits/model.pb";

/// A scratch directory of this test, emptied.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wgtf-serve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes version `v` of a model (a copy of `src`) the way a deployment should: into a
/// temporary directory, then renamed into place in one step.
fn add_version(base: &Path, v: u64, src: &str) {
    let tmp = base.join(format!(".tmp-{v}"));
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::copy(root().join(src), tmp.join("model.pb")).unwrap();
    std::fs::rename(&tmp, base.join(v.to_string())).unwrap();
}

/// Polls `f` every 50 ms until it holds, for at most `limit`.
fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

#[test]
fn hot_reload_under_load_fails_nothing_and_frees_the_old_version() {
    let base = scratch("reload");
    add_version(&base, 1, DIGITS);
    let spec = ModelSpec { name: "digits".into(), source: Source::Versions { base: base.clone(), policy: Policy::Latest(1) }, labels: Default::default() };
    let s = start(vec![spec], |c| c.poll = Some(Duration::from_millis(100)));
    let http = Http::new(s.addr());
    let x = digits(7, 8);
    let want = bits(&context(false).load(root().join(DIGITS)).unwrap().run(&[("x:0", &x)], &["probs:0"]).unwrap()[0].to_f32_vec().unwrap());
    let body = format!("{{\"inputs\": [{{\"name\": \"x\", \"shape\": [1, 8, 8, 1], \"datatype\": \"FP32\", \"data\": {}}}]}}", json_list(&x));
    // Warm: the plans of the requests' shape exist; the memory of one version serving them.
    assert_eq!(http.post("/v2/models/digits/infer", &body).status, 200);
    let baseline = s.context().memory_bytes();
    assert!(baseline > 0);
    let stop = AtomicBool::new(false);
    let (failed, by_v1, by_v2) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|sc| {
        for _ in 0..4 {
            sc.spawn(|| {
                // At most 5000 requests per client, and only while the test runs.
                for _ in 0..5000 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let a = http.post("/v2/models/digits/infer", &body);
                    let v = if a.status == 200 { a.json() } else { serde_json::Value::Null };
                    let right = a.status == 200 && bits(&floats(&v["outputs"][0]["data"].to_string())) == want;
                    match (right, v["model_version"].as_str()) {
                        (true, Some("1")) => by_v1.fetch_add(1, Ordering::SeqCst),
                        (true, Some("2")) => by_v2.fetch_add(1, Ordering::SeqCst),
                        _ => failed.fetch_add(1, Ordering::SeqCst),
                    };
                }
            });
        }
        // Some answers from version 1, then version 2 appears; wait until clients get it.
        let ok = wait_until(Duration::from_secs(60), || by_v1.load(Ordering::SeqCst) >= 20);
        add_version(&base, 2, DIGITS);
        let switched = ok && wait_until(Duration::from_secs(60), || by_v2.load(Ordering::SeqCst) >= 20);
        stop.store(true, Ordering::SeqCst);
        assert!(switched, "version 2 never answered (v1 {}, v2 {})", by_v1.load(Ordering::SeqCst), by_v2.load(Ordering::SeqCst));
    });
    assert_eq!(failed.load(Ordering::SeqCst), 0, "requests failed during the reload");
    // Version 1 drained and dropped: the memory of one version again.
    let freed = wait_until(Duration::from_secs(30), || s.context().memory_bytes() == baseline);
    assert!(freed, "GPU memory {} after the reload, {baseline} before", s.context().memory_bytes());
    let st = http.get("/v1/models/digits").json();
    assert_eq!(st["model_version_status"][0]["version"], "2");
    assert_eq!(st["model_version_status"][0]["state"], "AVAILABLE");
    assert_eq!(st["model_version_status"][1]["state"], "END");
    assert_eq!(http.post("/v2/models/digits/versions/1/infer", &body).status, 404);
    // A broken version 3: reported, version 2 goes on serving.
    std::fs::create_dir_all(base.join("3")).unwrap();
    std::fs::write(base.join("3/model.pb"), b"not a graph").unwrap();
    let reported = wait_until(Duration::from_secs(30), || {
        let st = http.get("/v1/models/digits/versions/3");
        st.status == 200 && st.json()["model_version_status"][0]["status"]["error_code"] == "UNKNOWN"
    });
    assert!(reported, "{}", http.get("/v1/models/digits").body);
    assert_eq!(http.post("/v2/models/digits/infer", &body).json()["model_version"], "2");
    s.stop().unwrap();
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn version_policy_and_labels_from_a_model_config_file() {
    let base = scratch("config");
    for v in [1, 2, 3] {
        add_version(&base, v, DIGITS);
    }
    let cfg = base.join("models.config");
    let text = format!(
        "model_config_list {{ config {{ name: 'digits' base_path: '{}' model_platform: 'tensorflow' model_version_policy {{ specific {{ versions: 1 versions: 3 }} }} version_labels {{ key: 'stable' value: 1 }} version_labels {{ key: 'canary' value: 3 }} }} }}",
        base.display()
    );
    std::fs::write(&cfg, text).unwrap();
    let specs = wgtf::serve::config::read_model_config(&cfg).unwrap();
    let s = start(specs, |_| {});
    let http = Http::new(s.addr());
    let body = format!("{{\"instances\": {}}}", json_list(&digits(0, 1)));
    for (path, status) in [
        ("/v1/models/digits/labels/stable:predict", 200),
        ("/v1/models/digits/labels/canary:predict", 200),
        ("/v1/models/digits/versions/1:predict", 200),
        ("/v1/models/digits/versions/2:predict", 404),
        ("/v1/models/digits/versions/3:predict", 200),
    ] {
        assert_eq!(http.post(path, &body).status, status, "{path}");
    }
    assert_eq!(http.get("/v1/models/digits/labels/canary/metadata").json()["model_spec"]["version"], "3");
    assert_eq!(http.get("/v2/models/digits").json()["versions"], serde_json::json!(["1", "3"]));
    let st = http.get("/v1/models/digits").json();
    assert_eq!(st["model_version_status"].as_array().unwrap().len(), 2);
    s.stop().unwrap();
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn batch_invariant_contexts_give_rows_the_same_bits_alone_or_batched() {
    let ctx = context(true);
    let cases: [(&str, &str, &str, Tensor); 3] = [
        (DIGITS, "x:0", "probs:0", digits(0, 9)),
        ("tests/fixtures/persist/saved_model_tf1_builder/saved_model", "input:0", "logits:0", Tensor::from_f32(vec![6, 5], (0..30).map(|i| (i as f32 * 0.37).sin()).collect()).unwrap()),
        ("tests/fixtures/persist/saved_model_keras/saved_model", "serving_default_inputs:0", "StatefulPartitionedCall:0", Tensor::from_f32(vec![7, 6, 6, 2], (0..504).map(|i| (i as f32 * 0.11).cos()).collect()).unwrap()),
    ];
    for (path, input, output, x) in cases {
        let m = ctx.load_with(root().join(path), &LoadOptions::default()).unwrap();
        let n = x.shape()[0];
        let all = m.run(&[(input, &x)], &[output]).unwrap()[0].to_f32_vec().unwrap();
        let per = all.len() / n;
        let row: usize = x.shape()[1..].iter().product();
        let v = x.to_f32_vec().unwrap();
        for r in 0..n {
            let mut shape = x.shape().to_vec();
            shape[0] = 1;
            let one = Tensor::from_f32(shape, v[r * row..(r + 1) * row].to_vec()).unwrap();
            let got = m.run(&[(input, &one)], &[output]).unwrap()[0].to_f32_vec().unwrap();
            assert_eq!(bits(&got), bits(&all[r * per..(r + 1) * per]), "{path}: row {r} alone differs from the batch of {n}");
        }
    }
}

#[test]
fn dynamic_batching_forms_batches_whose_answers_are_the_unbatched_bits() {
    let s = start(vec![model("digits", DIGITS)], |c| {
        c.batching = Some(Batching { max_batch_size: 16, batch_timeout: Duration::from_millis(20) });
    });
    let http = Http::new(s.addr());
    // The answers of each request alone, from this server (one at a time: no batch forms).
    let bodies: Vec<(String, usize)> = (0..24)
        .map(|i| {
            let n = 1 + i % 3;
            (format!("{{\"instances\": {}}}", json_list(&digits(i, i + n))), n)
        })
        .collect();
    let alone: Vec<Vec<u32>> = bodies.iter().map(|(b, _)| bits(&floats(raw(&http.post("/v1/models/digits:predict", b).body, "predictions")))).collect();
    // The same model in a batch-invariant context of the test's own: the same bits.
    let m = context(true).load(root().join(DIGITS)).unwrap();
    for (i, (_, n)) in bodies.iter().enumerate() {
        let want = m.run(&[("x:0", &digits(i, i + n))], &["probs:0"]).unwrap()[0].to_f32_vec().unwrap();
        assert_eq!(alone[i], bits(&want), "request {i}");
    }
    let before = metric(&http.get("/metrics").body, "wgtf_batch_size_sum", &["model=\"digits\""]).unwrap_or(0.0);
    // 8 clients × 3 rounds of all 24 requests at once: batches form, each answer is unchanged.
    let wrong = AtomicUsize::new(0);
    std::thread::scope(|sc| {
        for c in 0..8 {
            let (http, bodies, alone, wrong) = (&http, &bodies, &alone, &wrong);
            sc.spawn(move || {
                for round in 0..3 {
                    for k in 0..3 {
                        let i = (c * 3 + k + round * 5) % bodies.len();
                        let a = http.post("/v1/models/digits:predict", &bodies[i].0);
                        if a.status != 200 || bits(&floats(raw(&a.body, "predictions"))) != alone[i] {
                            wrong.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            });
        }
    });
    assert_eq!(wrong.load(Ordering::SeqCst), 0);
    let text = http.get("/metrics").body;
    let (sum, count) = (metric(&text, "wgtf_batch_size_sum", &["model=\"digits\""]).unwrap() - before, metric(&text, "wgtf_batch_size_count", &["model=\"digits\""]).unwrap());
    // 72 requests ran in fewer GPU runs than requests: batches of several formed.
    assert!(sum >= 72.0 && count - 24.0 < 72.0, "batch sizes: sum {sum}, runs {count}:\n{text}");
    s.stop().unwrap();
}

#[test]
fn a_batch_beyond_the_devices_limits_runs_again_in_halves() {
    // A device that binds at most 64 KiB per tensor: the digits CNN runs 8 rows, not 16.
    let mut limits = context(false).limits().clone();
    limits.max_storage_buffer_binding_size = 64 << 10;
    let ctx = || Context::new_with(ContextOptions { limits: Some(limits.clone()), batch_invariant: true, ..Default::default() }).expect("a context with lowered limits");
    let m = ctx().load(root().join(DIGITS)).unwrap();
    assert!(m.run(&[("x:0", &digits(0, 16))], &["probs:0"]).is_err(), "the premise: 16 rows exceed the limits");
    let mut cfg = ServeConfig::new(vec![model("digits", DIGITS)]);
    cfg.batching = Some(Batching { max_batch_size: 32, batch_timeout: Duration::from_millis(100) });
    let s = Server::start_in(ctx(), cfg).unwrap();
    let http = Http::new(s.addr());
    // 8 clients × 3 rounds of 4-row requests: the first batches (up to 32 rows) fail and run
    // again in halves; every answer is the request's own.
    let wrong = AtomicUsize::new(0);
    std::thread::scope(|sc| {
        for c in 0..8 {
            let (http, m, wrong) = (&http, &m, &wrong);
            sc.spawn(move || {
                for round in 0..3 {
                    let i = (c * 4 + round * 7) % 400;
                    let want = bits(&m.run(&[("x:0", &digits(i, i + 4))], &["probs:0"]).unwrap()[0].to_f32_vec().unwrap());
                    let a = http.post("/v1/models/digits:predict", &format!("{{\"instances\": {}}}", json_list(&digits(i, i + 4))));
                    if a.status != 200 || bits(&floats(raw(&a.body, "predictions"))) != want {
                        wrong.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    assert_eq!(wrong.load(Ordering::SeqCst), 0);
    let text = http.get("/metrics").body;
    let (sum, count) = (metric(&text, "wgtf_batch_size_sum", &[]).unwrap(), metric(&text, "wgtf_batch_size_count", &[]).unwrap());
    assert_eq!(sum, 24.0, "{text}");
    assert!(count < 24.0, "no batch of two requests ran: {text}");
    assert!(metric(&text, "wgtf_batch_splits_total", &[]).is_some_and(|v| v >= 1.0), "no batch failed: {text}");
    s.stop().unwrap();
}
