//! The `wgtf` command line end to end: single and multi-model runs (outputs compared with
//! TensorFlow's), `info`, `bench --json`, and errors that exit non-zero naming the problem.
mod common;

use std::process::Command;

use wgtf::Tensor;

/// The CLI, with the GEMM kernel by rule unless `WGTF_GEMM` chooses (as `common::options`).
fn wgtf() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wgtf"));
    if std::env::var_os("WGTF_GEMM").is_none() {
        c.env("WGTF_GEMM", "rule");
    }
    c
}

fn case(name: &str) -> std::path::PathBuf {
    common::fixtures_dir().join(name)
}

#[test]
fn multi_model_groups_load_together_and_each_gets_its_own_outputs() {
    let _ = common::context(); // fail loudly without an adapter
    let dir = tempdir();
    let (a, b) = (dir.join("a.npy"), dir.join("b.npy"));
    let out = wgtf()
        .arg("run")
        .args(["-m", case("mlp/model.pb").to_str().unwrap()])
        .args(["-i", &format!("x:0={}", case("mlp/in0.npy").display())])
        .args(["-o", &format!("Identity:0={}", a.display())])
        .args(["-m", case("small_cnn/model.pb").to_str().unwrap()])
        .args(["-i", &format!("x:0={}", case("small_cnn/in0.npy").display())])
        .args(["-o", &format!("Identity:0={}", b.display())])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for (got, want) in [(a, case("mlp/out0.npy")), (b, case("small_cnn/out0.npy"))] {
        let (g, w) = (Tensor::read_npy(got).unwrap(), Tensor::read_npy(want).unwrap());
        common::compare(&g, &w, 1e-4, 1e-5).unwrap();
    }
}

#[test]
fn errors_exit_non_zero_and_name_the_problem() {
    let _ = common::context();
    let out = wgtf()
        .args(["run", case("mlp/model.pb").to_str().unwrap()])
        .args(["-i", &format!("x:0={}", case("mlp/in0.npy").display())])
        .args(["-o", "no_such_node:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no_such_node"), "{err}");

    let out = wgtf().args(["run", "/nonexistent/model.pb", "-o", "y"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/model.pb"));
}

#[test]
fn info_lists_inputs_and_ops() {
    let out = wgtf().args(["info", case("small_cnn/model.pb").to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("x:0") && s.contains("Conv2D") && s.contains("unsupported: none"), "{s}");
}

#[test]
fn bench_json_has_the_counters() {
    let _ = common::context();
    let out = wgtf()
        .args(["bench", case("mlp/model.pb").to_str().unwrap(), "--iters", "3", "--warmup", "1", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = String::from_utf8_lossy(&out.stdout);
    for key in [
        "load_ms", "p50_ms", "p90_ms", "p99_ms", "dispatches_per_run", "passes_per_run", "submits_per_run",
        "upload_bytes_per_run", "readback_bytes_per_run", "pipelines_created", "activation_bytes", "peak_live_bytes",
        "precision", "host_upload_ms", "host_encode_ms", "host_submit_ms", "host_readback_ms", "wait_ms",
    ] {
        assert!(s.contains(&format!("\"{key}\":")), "{key} missing in {s}");
    }
    assert!(s.contains("\"submits_per_run\":1,"), "{s}");
    assert!(s.contains("\"passes_per_run\":1,"), "{s}");
    assert!(s.contains("\"gemm\":\"") && s.contains("\"gemm_source\":\""), "{s}");
    // A run's host phases were timed: waiting for the GPU and its map always takes some time.
    let v: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert!(v["wait_ms"].as_f64().unwrap() > 0.0 && v["host_encode_ms"].as_f64().unwrap() > 0.0, "{s}");
}

#[test]
fn precision_f16_runs_and_benches() {
    let _ = common::context();
    let dir = tempdir();
    let got = dir.join("f16.npy");
    let out = wgtf()
        .args(["run", case("small_cnn/model.pb").to_str().unwrap(), "--precision", "f16"])
        .args(["-i", &format!("x:0={}", case("small_cnn/in0.npy").display())])
        .args(["-o", &format!("Identity:0={}", got.display())])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (g, w) = (Tensor::read_npy(&got).unwrap(), Tensor::read_npy(case("small_cnn/out0.npy")).unwrap());
    common::compare(&g, &w, 2e-2, 1e-2).unwrap();

    let bench = |precision: &str| {
        let out = wgtf()
            .args(["bench", case("small_cnn/model.pb").to_str().unwrap(), "--iters", "2", "--warmup", "1", "--json", "--precision", precision])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["precision"], precision);
        (v["weight_bytes"].as_u64().unwrap(), v["activation_bytes"].as_u64().unwrap())
    };
    let (w32, a32) = bench("f32");
    let (w16, a16) = bench("f16");
    assert!(w16 * 10 <= w32 * 6 && a16 * 10 <= a32 * 6, "f32 {w32}/{a32} bytes, f16 {w16}/{a16}");

    let out = wgtf().args(["run", case("mlp/model.pb").to_str().unwrap(), "--precision", "f8", "-o", "y"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown precision 'f8'"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn devices_show_the_gemm_kernel_and_a_bad_wgtf_gemm_is_an_error() {
    let _ = common::context();
    let out = wgtf().args(["devices"]).env("WGTF_GEMM", "large").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("gemm: large (env)"), "{s}");
    let out = wgtf().args(["run", case("mlp/model.pb").to_str().unwrap()]).env("WGTF_GEMM", "huge").output().unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("WGTF_GEMM=huge") && e.contains("expected auto, rule, tune, tiled, subgroup or large"), "{e}");
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("wgtf-cli-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
