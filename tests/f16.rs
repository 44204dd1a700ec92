//! `--precision f16`: every fixture case runs with float tensors held as f16 (lavapipe has
//! `shader-f16`, so CI runs it) and must match TensorFlow's f32 outputs within f16's accuracy:
//! |got − want| ≤ 0.02·|want| + 0.01·max|want| for floats; integers and bools exactly. Cases
//! listed in tests/fixtures/f16_pending.txt differ for a reason stated there (f16's range or a
//! discrete output decided by rounding): they must differ, so the list cannot go stale; every
//! other case must pass. Speed lives in `wgtf bench --precision f16`, not here.
mod common;
mod hardening;

use hardening::*;

use wgtf::{LoadOptions, Precision, Tensor};

fn f16_compare(got: &Tensor, want: &Tensor) -> Result<f64, String> {
    if !want.dtype().is_float() {
        return common::compare(got, want, 0.0, 0.0).map(|_| 0.0);
    }
    let w = want.to_f32_vec().map_err(|e| e.to_string())?;
    let scale = w.iter().filter(|x| x.is_finite()).fold(0f32, |m, x| m.max(x.abs())) as f64;
    common::compare(got, want, 2e-2, 1e-2 * scale + 1e-4).map(|(ma, _)| ma)
}

fn run_case(ctx: &wgtf::Context, case: &common::Case) -> Result<f64, String> {
    let opts = LoadOptions { precision: Precision::F16, ..Default::default() };
    let model = ctx.load_with(&case.model, &opts).map_err(|e| e.to_string())?;
    assert_eq!(model.precision(), Precision::F16);
    let feeds: Vec<(String, Tensor)> = case.feeds.iter().map(|(n, p)| (n.clone(), Tensor::read_npy(p).unwrap())).collect();
    let f: Vec<(&str, &Tensor)> = feeds.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let names: Vec<&str> = case.fetches.iter().map(|(n, ..)| n.as_str()).collect();
    let outs = model.run(&f, &names).map_err(|e| e.to_string())?;
    let mut worst = 0f64;
    for ((name, want, ..), got) in case.fetches.iter().zip(&outs) {
        let want = Tensor::read_npy(want).unwrap();
        worst = worst.max(f16_compare(got, &want).map_err(|e| format!("{name}: {e}"))?);
    }
    Ok(worst)
}

#[test]
fn fixture_cases_in_f16() {
    let ctx = common::context();
    let listed = common::listed("f16_pending.txt");
    let pending = common::listed("pending.txt");
    let dirs = common::case_dirs();
    let only = std::env::var("WGTF_CASE").ok();
    let (mut failures, mut passed) = (Vec::new(), 0);
    for d in dirs {
        let case = common::load_case(&d);
        if pending.contains_key(&case.name) || only.as_deref().is_some_and(|o| o != case.name) {
            continue;
        }
        match (run_case(&ctx, &case), listed.get(&case.name)) {
            (Ok(ma), None) => {
                passed += 1;
                println!("PASS {} maxabs={ma:.3e}", case.name);
            }
            (Ok(_), Some(_)) => failures.push(format!("{}: passes in f16 now; remove it from tests/fixtures/f16_pending.txt", case.name)),
            (Err(e), None) => failures.push(format!("{}: {e}", case.name)),
            (Err(e), Some(why)) => println!("DIFFERS {} ({why}): {e}", case.name),
        }
    }
    println!("{passed} fixture cases passed in f16");
    assert!(passed >= 40, "expected the fixture cases, {passed} passed");
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

/// f16 halves what a model holds: its weights and activations (a real published model).
#[test]
fn f16_halves_weights_and_activations() {
    let ctx = common::context();
    let case = common::load_case(&common::fixtures_dir().join("real_facemesh"));
    let feeds: Vec<(String, Tensor)> = case.feeds.iter().map(|(n, p)| (n.clone(), Tensor::read_npy(p).unwrap())).collect();
    let f: Vec<(&str, &Tensor)> = feeds.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let names: Vec<&str> = case.fetches.iter().map(|(n, ..)| n.as_str()).collect();
    let full = ctx.load(&case.model).unwrap();
    let half = ctx.load_with(&case.model, &LoadOptions { precision: Precision::F16, ..Default::default() }).unwrap();
    assert_eq!(full.precision(), Precision::F32);
    full.run(&f, &names).unwrap();
    half.run(&f, &names).unwrap();
    let (a, b) = (full.memory(), half.memory());
    println!("weights {} -> {} bytes, activations {} -> {} bytes", a.weights, b.weights, a.activations, b.activations);
    assert!(b.weights as f64 <= 0.55 * a.weights as f64, "weights f32 {} bytes, f16 {}", a.weights, b.weights);
    assert!(b.activations as f64 <= 0.65 * a.activations as f64, "activations f32 {} bytes, f16 {}", a.activations, b.activations);
}

/// Without `shader-f16` (here taken away from lavapipe's device), f16 is a clear load error.
#[test]
fn f16_without_shader_f16_is_a_clear_error() {
    let _ = common::context(); // fail loudly without an adapter
    let ctx = wgtf::Context::new_with(wgtf::ContextOptions { without: wgpu::Features::SHADER_F16, ..Default::default() }).unwrap();
    let model = common::fixtures_dir().join("mlp/model.pb");
    let e = ctx.load_with(&model, &LoadOptions { precision: Precision::F16, ..Default::default() }).err().expect("f16 without shader-f16 must fail");
    assert!(matches!(e, wgtf::Error::Device(_)), "{e:?}");
    assert!(e.to_string().contains("shader-f16") && e.to_string().contains("precision f32"), "{e}");
    // f32 loads and runs on the same context.
    assert_eq!(ctx.load(&model).unwrap().precision(), Precision::F32);
}

// ---------------------------------------------------------------------------------------------
// Long reductions, long softmax rows, long-K matrix products and data movement in f16, against
// the host computing in f64 on the f16-rounded inputs (what the GPU is given).

fn run_f16(nodes: Vec<wgtf::proto::NodeDef>, feeds: &[(&str, &Tensor)], fetches: &[&str]) -> Vec<Tensor> {
    let ctx = common::context();
    let m = ctx.load_graph_def(&bytes(nodes), &LoadOptions { precision: Precision::F16, ..Default::default() }).unwrap();
    m.run(feeds, fetches).unwrap()
}

fn half(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| half::f16::from_f32(x).to_f32() as f64).collect()
}

fn close(what: &str, got: &[f32], want: &[f64], rel: f64, abs: f64) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!((g as f64 - w).abs() <= rel * w.abs() + abs, "{what}: output {i}: got {g}, want {w}");
    }
}

#[test]
fn f16_long_reductions_keep_f32_partial_sums() {
    // 3 rows of 1,000,000: each reduced in parts whose partial sums stay f32.
    let (rows, cols) = (3usize, 1_000_000usize);
    let mut r = Rng(7);
    let v = r.vec(rows * cols);
    let x = Tensor::from_f32(vec![rows, cols], v.clone()).unwrap();
    let h = half(&v);
    for (name, f) in [("Sum", 0), ("Mean", 1), ("Max", 2)] {
        let g = vec![
            placeholder("x", F32, &[-1, -1]),
            const_i32("a", &[1], &[1]),
            node("y", name, &["x", "a"], vec![("T", ty(F32)), ("Tidx", ty(I32)), ("keep_dims", bool_attr(false))]),
        ];
        let y = run_f16(g, &[("x", &x)], &["y"])[0].to_f32_vec().unwrap();
        let want: Vec<f64> = h
            .chunks(cols)
            .map(|row| match f {
                0 => row.iter().sum(),
                1 => row.iter().sum::<f64>() / cols as f64,
                _ => row.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            })
            .collect();
        // f32 accumulation of a million terms, the result rounded to f16.
        let mag = if f == 0 { 1e-6 * cols as f64 } else { 1e-6 };
        close(&format!("{name} in f16"), &y, &want, 1e-3, mag);
    }
}

#[test]
fn f16_log_softmax_of_a_row_beyond_one_pass() {
    // 1,500,000 columns: the three-pass form (on an f32 copy of the row).
    let n = 1_500_000usize;
    let mut r = Rng(8);
    let v: Vec<f32> = (0..n).map(|_| r.f32() * 4.0).collect();
    let x = Tensor::from_f32(vec![1, n], v.clone()).unwrap();
    let y = run_f16(vec![placeholder("x", F32, &[-1, -1]), op("y", "LogSoftmax", &["x"])], &[("x", &x)], &["y"])[0].to_f32_vec().unwrap();
    let h = half(&v);
    let m = h.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let lse = h.iter().map(|a| (a - m).exp()).sum::<f64>().ln() + m;
    let want: Vec<f64> = h.iter().map(|a| a - lse).collect();
    close("LogSoftmax in f16", &y, &want, 1e-3, 1e-3);
}

#[test]
fn f16_matrix_product_over_a_long_k() {
    let (m, k, n) = (16usize, 70_001usize, 16usize);
    let mut r = Rng(9);
    let (a, b) = (r.vec(m * k), r.vec(k * n));
    let (ta, tb) = (Tensor::from_f32(vec![m, k], a.clone()).unwrap(), Tensor::from_f32(vec![k, n], b.clone()).unwrap());
    let g = vec![placeholder("x", F32, &[-1, -1]), placeholder("w", F32, &[-1, -1]), node("y", "MatMul", &["x", "w"], vec![("T", ty(F32))])];
    let y = run_f16(g, &[("x", &ta), ("w", &tb)], &["y"])[0].to_f32_vec().unwrap();
    let (ha, hb) = (half(&a), half(&b));
    let mut want = vec![0f64; m * n];
    for i in 0..m {
        for p in 0..k {
            for j in 0..n {
                want[i * n + j] += ha[i * k + p] * hb[p * n + j];
            }
        }
    }
    // Products of terms in [-1, 1): |sum| ~ sqrt(k)/3; f32 accumulation, f16 result.
    close("MatMul in f16", &y, &want, 2e-3, 1e-5 * k as f64);
}

#[test]
fn f16_data_movement_is_exact() {
    // Values f16 holds exactly (integers below 2048): transposes, slices, concatenation and
    // padding of f16 tensors move them unchanged.
    let (h, w) = (300usize, 517usize);
    let v: Vec<f32> = (0..h * w).map(|i| (i % 2039) as f32 - 1000.0).collect();
    let x = Tensor::from_f32(vec![h, w], v.clone()).unwrap();
    let g = vec![
        placeholder("x", F32, &[-1, -1]),
        const_i32("perm", &[2], &[1, 0]),
        node("t", "Transpose", &["x", "perm"], vec![("T", ty(F32)), ("Tperm", ty(I32))]),
        const_i32("axis", &[], &[1]),
        node("c", "ConcatV2", &["x", "x", "axis"], vec![("T", ty(F32)), ("N", int(2)), ("Tidx", ty(I32))]),
        const_i32("p", &[2, 2], &[1, 2, 3, 4]),
        const_f32("cv", &[], &[-2.5]),
        node("pad", "PadV2", &["x", "p", "cv"], vec![("T", ty(F32)), ("Tpaddings", ty(I32))]),
    ];
    let out = run_f16(g, &[("x", &x)], &["t", "c", "pad"]);
    let at = |r: usize, c: usize| v[r * w + c];
    let t: Vec<f32> = (0..w).flat_map(|c| (0..h).map(move |r| at(r, c))).collect();
    assert_eq!(out[0].to_f32_vec().unwrap(), t);
    let c: Vec<f32> = (0..h).flat_map(|r| (0..2 * w).map(move |c| at(r, c % w))).collect();
    assert_eq!(out[1].to_f32_vec().unwrap(), c);
    let (ph, pw) = (h + 3, w + 7);
    let p: Vec<f32> = (0..ph)
        .flat_map(|r| (0..pw).map(move |c| if (1..=h).contains(&r) && (3..3 + w).contains(&c) { at(r - 1, c - 3) } else { -2.5 }))
        .collect();
    assert_eq!(out[2].shape(), [ph, pw]);
    assert_eq!(out[2].to_f32_vec().unwrap(), p);
}

/// f16 tensors of odd length cross a sync point (kept from the plan before it into the plan
/// after) and come back as fetches: their copies are whole words.
#[test]
fn f16_odd_lengths_across_a_sync_point() {
    let boxes: Vec<f32> = vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.1, 1.0, 1.1, 5.0, 5.0, 6.0, 6.0, 5.0, 5.2, 6.0, 6.2, 9.0, 9.0, 9.5, 9.5];
    let scores: Vec<f32> = vec![0.9, 0.8, 0.7, 0.95, 0.5];
    let g = vec![
        placeholder("x", F32, &[-1, 4]),
        placeholder("s", F32, &[-1]),
        const_i32("m", &[], &[5]),
        const_f32("iou", &[], &[0.5]),
        const_f32("st", &[], &[0.0]),
        node("nms", "NonMaxSuppressionV3", &["x", "s", "m", "iou", "st"], vec![("T", ty(F32)), ("T_threshold", ty(F32))]),
        const_f32("three", &[], &[3.0]),
        node("s3", "Mul", &["s", "three"], vec![("T", ty(F32))]),
        const_i32("axis", &[], &[0]),
        node("picked", "GatherV2", &["s3", "nms", "axis"], vec![("Tparams", ty(F32)), ("Tindices", ty(I32)), ("Taxis", ty(I32))]),
    ];
    let (bt, st) = (Tensor::from_f32(vec![5, 4], boxes).unwrap(), Tensor::from_f32(vec![5], scores).unwrap());
    let out = run_f16(g, &[("x", &bt), ("s", &st)], &["nms", "picked", "s3"]);
    assert_eq!(out[0].to_i64_vec().unwrap(), [3, 0, 4]);
    let want: Vec<f64> = [0.95f32, 0.9, 0.5].iter().map(|&x| half::f16::from_f32(half::f16::from_f32(x).to_f32() * 3.0).to_f32() as f64).collect();
    close("picked", &out[1].to_f32_vec().unwrap(), &want, 1e-3, 0.0);
    assert_eq!(out[2].shape(), [5]);
}

/// f16 with each GEMM kernel (tiled, subgroup, the large register-blocked one): matrix products
/// and convolutions within f16's accuracy whichever the adapter's choice.
#[test]
fn f16_with_every_gemm_kernel() {
    let ctx = common::context();
    for choice in [wgtf::GemmChoice::Tiled, wgtf::GemmChoice::Subgroup, wgtf::GemmChoice::Large] {
        let c = ctx.with_gemm(choice);
        for name in ["matmul_basic", "matmul_large", "batch_matmul", "conv2d_same", "conv2d_valid_stride", "conv2d_big", "fused_ops", "net_resnet"] {
            let case = common::load_case(&common::fixtures_dir().join(name));
            run_case(&c, &case).unwrap_or_else(|e| panic!("{name} with {choice:?} in f16: {e}"));
        }
    }
}
