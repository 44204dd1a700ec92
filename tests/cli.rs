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
    ] {
        assert!(s.contains(&format!("\"{key}\":")), "{key} missing in {s}");
    }
    assert!(s.contains("\"submits_per_run\":1,"), "{s}");
    assert!(s.contains("\"passes_per_run\":1,"), "{s}");
    assert!(s.contains("\"gemm\":\"") && s.contains("\"gemm_source\":\""), "{s}");
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
