//! int64 is exact where the adapter has SHADER_INT64 (lavapipe has it): values beyond the int32
//! range go through arithmetic, reductions, data movement and casts unchanged (the `int64_*`
//! fixture cases, checked bit-exactly by tests/conformance.rs). Without the feature, int64 is
//! narrowed to int32 with checks: a constant or feed outside the int32 range is an error,
//! never a silent wrap, and everything within the range still matches TensorFlow.
mod common;

use wgtf::{Context, ContextOptions};

fn narrow_context() -> Context {
    common::context();
    Context::new_with(ContextOptions { without: wgpu::Features::SHADER_INT64, ..common::options() }).expect("a context without SHADER_INT64")
}

#[test]
fn the_adapter_has_int64_and_lowering_uses_it() {
    let ctx = common::context();
    assert!(
        ctx.device().features().contains(wgpu::Features::SHADER_INT64),
        "this adapter lacks SHADER_INT64; the exact-int64 cases would not exercise 64-bit kernels"
    );
    assert!(ctx.target().int64);
    assert!(!narrow_context().target().int64);
}

#[test]
fn narrowed_int64_refuses_out_of_range_values() {
    let ctx = narrow_context();
    // int64_ops holds the constant 3_000_000_000: loading it narrowed is an error naming it.
    let case = common::load_case(&common::fixtures_dir().join("int64_ops"));
    let e = ctx.load(&case.model).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("3000000000") && e.contains("32 bits"), "{e}");
}

#[test]
fn narrowed_int64_matches_tensorflow_within_int32() {
    // Every fixture case whose values fit in int32 runs the same without 64-bit kernels.
    let ctx = narrow_context();
    let mut dirs: Vec<_> = std::fs::read_dir(common::fixtures_dir()).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    let mut ran = 0;
    let mut failures = Vec::new();
    for d in dirs {
        let case = common::load_case(&d);
        if case.name.starts_with("int64_") {
            continue;
        }
        ran += 1;
        if let Err(e) = common::run_case(&ctx, &case) {
            failures.push(format!("{}: {e}", case.name));
        }
    }
    assert!(ran >= 40, "ran only {ran} cases");
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}
