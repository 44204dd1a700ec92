//! Every fixture case in tests/fixtures/cases (made by tests/fixtures/gen.py with TensorFlow)
//! runs through the library on a real GPU adapter and must match TensorFlow's outputs within
//! the case's tolerances. Cases listed in tests/fixtures/pending.txt are not supported yet:
//! they must fail (so the list cannot go stale), every other case must pass.
mod common;

use std::collections::BTreeSet;

#[test]
fn fixture_cases_match_tensorflow() {
    run_all(&common::context());
}

/// The same cases with the kernels of adapters without subgroups (real GPUs' tiled GEMM, used
/// there for every matrix product and convolution), so CI runs them on lavapipe too.
#[test]
fn fixture_cases_match_tensorflow_without_subgroups() {
    common::context();
    let ctx = wgtf::Context::new_with(wgtf::ContextOptions { without: wgpu::Features::SUBGROUP, ..common::options() }).unwrap();
    assert_ne!(ctx.target().gemm, wgtf::GemmChoice::Subgroup);
    run_all(&ctx);
}

fn run_all(ctx: &wgtf::Context) {
    let pending: BTreeSet<String> = common::listed("pending.txt").into_keys().collect();
    let dirs = common::case_dirs();
    assert!(dirs.len() >= 40, "expected the fixture cases, found {}", dirs.len());
    let only = std::env::var("WGTF_CASE").ok();
    let mut failures = Vec::new();
    let mut passed = 0;
    for d in dirs {
        let case = common::load_case(&d);
        if only.as_deref().is_some_and(|o| o != case.name) {
            continue;
        }
        let r = common::run_case(ctx, &case);
        match (r, pending.contains(&case.name)) {
            (Ok(errs), false) => {
                passed += 1;
                let ma = errs.iter().map(|e| e.0).fold(0.0, f64::max);
                println!("PASS {} maxabs={ma:.3e}", case.name);
            }
            (Ok(_), true) => failures.push(format!("{}: passes now; remove it from tests/fixtures/pending.txt", case.name)),
            (Err(e), false) => failures.push(format!("{}: {e}", case.name)),
            (Err(e), true) => println!("PENDING {}: {e}", case.name),
        }
    }
    println!("{passed} fixture cases passed");
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}
