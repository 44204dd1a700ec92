//! Large tensors, long rows and many rows, against values computed on the host: rows longer
//! than 65,536, tensors of more than 65,536 × 256 elements (16,777,216: 64 MiB of f32, within
//! lavapipe's 128 MiB storage binding), and more rows than one dispatch dimension holds
//! workgroups. Found by an issue (TopKV2 over a row of 1,310,720 values missed some of the
//! largest): llvmpipe ends every loop of an invocation after 65,535 iterations in all
//! (`lower::MAX_LOOP_ITERATIONS`), so kernels whose loops followed a row's length were wrong
//! beyond it. No test here times anything; each runs in a few seconds on lavapipe.
mod common;
mod hardening;

use hardening::*;
use wgtf::proto::NodeDef;
use wgtf::{Context, LoadOptions, Tensor};

/// Runs a graph whose placeholder `x` is fed `x` and returns the fetches.
fn run(ctx: &Context, nodes: Vec<NodeDef>, x: &Tensor, fetches: &[&str]) -> Vec<Tensor> {
    run_with(ctx, nodes, &[("x", x)], fetches)
}

/// A context without some of the adapter's features (the kernels other adapters get); with no
/// adapter at all, the test fails loudly as every GPU test does.
fn context_without(features: wgpu::Features) -> Context {
    drop(common::context());
    Context::new_with(wgtf::ContextOptions { without: features, ..common::options() }).unwrap()
}

fn run_with(ctx: &Context, nodes: Vec<NodeDef>, feeds: &[(&str, &Tensor)], fetches: &[&str]) -> Vec<Tensor> {
    let m = ctx.load_graph_def(&bytes(nodes), &LoadOptions::default()).unwrap();
    m.run(feeds, fetches).unwrap()
}

/// `x` of `dtype` with every dim unknown.
fn input(dtype: i32, rank: usize) -> NodeDef {
    placeholder("x", dtype, &vec![-1; rank])
}

fn f32s(t: &Tensor) -> Vec<f32> {
    t.to_f32_vec().unwrap()
}

fn i64s(t: &Tensor) -> Vec<i64> {
    t.to_i64_vec().unwrap()
}

/// Values in [-1, 1) rounded to multiples of 1/`levels` (ties on purpose).
fn rounded(r: &mut Rng, n: usize, levels: f32) -> Vec<f32> {
    (0..n).map(|_| (r.f32() * levels).round() / levels).collect()
}

// ---------------------------------------------------------------------------------------------
// TopKV2

fn top_k_graph(k: i32, dtype: i32) -> Vec<NodeDef> {
    vec![input(dtype, 2), const_i32("k", &[], &[k]), node("t", "TopKV2", &["x", "k"], vec![("T", ty(dtype))])]
}

/// The host's TopK of each row: NaN first, then larger values, ties (and -0 = +0) to the lower
/// index.
fn top_k_host(v: &[f32], rows: usize, k: usize) -> (Vec<f32>, Vec<i64>) {
    let n = v.len() / rows;
    let (mut vals, mut idx) = (Vec::new(), Vec::new());
    for r in 0..rows {
        let row = &v[r * n..(r + 1) * n];
        let key = |x: f32| if x.is_nan() { f64::INFINITY } else if x == f32::INFINITY { f64::MAX } else { x as f64 };
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| key(row[b]).partial_cmp(&key(row[a])).unwrap().then(a.cmp(&b)));
        for &j in &order[..k] {
            vals.push(row[j]);
            idx.push(j as i64);
        }
    }
    (vals, idx)
}

fn check_top_k(ctx: &Context, v: Vec<f32>, rows: usize, k: usize) {
    let n = v.len() / rows;
    let x = Tensor::from_f32(vec![rows, n], v).unwrap();
    let y = run(ctx, top_k_graph(k as i32, F32), &x, &["t:0", "t:1"]);
    let (want_v, want_i) = top_k_host(x.as_f32().unwrap(), rows, k);
    assert_eq!(y[0].shape(), [rows, k]);
    let (got_v, got_i) = (f32s(&y[0]), i64s(&y[1]));
    for e in 0..rows * k {
        let same = got_v[e].to_bits() == want_v[e].to_bits() || (got_v[e] == want_v[e]) || (got_v[e].is_nan() && want_v[e].is_nan());
        assert!(same && got_i[e] == want_i[e], "[{rows}, {n}] k {k}: row {} place {}: got {} at {}, want {} at {}", e / k, e % k, got_v[e], got_i[e], want_v[e], want_i[e]);
    }
}

#[test]
fn top_k_of_a_row_of_1310720() {
    // The shape: k = 100 of 1,310,720 values (few distinct ones: ties across blocks).
    let ctx = common::context();
    let mut r = Rng(1);
    let mut v = rounded(&mut r, 1_310_720, 4096.0);
    // A few of the largest at the very end, beyond 65,536 × 16.
    for (i, j) in [1_310_719usize, 1_310_000, 1_048_577, 65_536, 65_535].into_iter().enumerate() {
        v[j] = 2.0 + i as f32;
    }
    check_top_k(&ctx, v, 1, 100);
}

#[test]
fn top_k_of_rows_just_beyond_65536() {
    let ctx = common::context();
    let mut r = Rng(2);
    for n in [65_537usize, 66_000] {
        check_top_k(&ctx, r.vec(3 * n), 3, 100);
    }
}

#[test]
fn top_k_sorts_whole_long_rows_with_nans_and_signed_zeros() {
    // k = len (how tf.sort uses TopKV2): every element placed, across 9 merge passes.
    let ctx = common::context();
    let mut r = Rng(3);
    let n = 70_001;
    let mut v = rounded(&mut r, 2 * n, 64.0);
    for j in [0usize, 17, 65_600, 70_000, 70_001 + 5, 2 * n - 1] {
        v[j] = f32::NAN;
    }
    for j in (100..2 * n).step_by(997) {
        v[j] = if j % 2 == 0 { -0.0 } else { 0.0 };
    }
    v[300] = f32::INFINITY;
    v[301] = f32::NEG_INFINITY;
    check_top_k(&ctx, v, 2, n);
}

#[test]
fn top_k_of_many_rows_folds_its_dispatches() {
    // 70,000 rows: a workgroup per row is more than 65,535 along one dimension.
    let ctx = common::context();
    let mut r = Rng(4);
    check_top_k(&ctx, rounded(&mut r, 70_000 * 5, 8.0), 70_000, 3);
    // Rows of two blocks, k above a block's 256.
    check_top_k(&ctx, r.vec(300 * 513), 300, 300);
}

#[test]
fn top_k_of_int32_rows() {
    let ctx = common::context();
    let mut r = Rng(5);
    let n = 100_000usize;
    let v: Vec<i32> = (0..2 * n).map(|i| if i % 1000 == 7 { i32::MIN } else if i % 999 == 3 { i32::MAX } else { (r.u64() % 2001) as i32 - 1000 }).collect();
    let x = Tensor::from_i32(vec![2, n], v.clone()).unwrap();
    // k = 20 leaves out what is below the 20th best block maximum; k = 300 ranks every block.
    for k in [20usize, 300] {
        let y = run(&ctx, top_k_graph(k as i32, I32), &x, &["t:0", "t:1"]);
        let (got_v, got_i) = (i64s(&y[0]), i64s(&y[1]));
        for row in 0..2 {
            let rv = &v[row * n..(row + 1) * n];
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| rv[b].cmp(&rv[a]).then(a.cmp(&b)));
            for p in 0..k {
                let e = row * k + p;
                assert_eq!((got_v[e], got_i[e]), (rv[order[p]] as i64, order[p] as i64), "k {k} row {row} place {p}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reductions

/// `op(x, axes)` (keep_dims false) of `dtype`.
fn reduce_graph(op_name: &str, dtype: i32, rank: usize, axes: &[i32]) -> Vec<NodeDef> {
    vec![
        input(dtype, rank),
        const_i32("axes", &[axes.len() as i64], axes),
        node("y", op_name, &["x", "axes"], vec![("T", ty(dtype)), ("Tidx", ty(I32)), ("keep_dims", bool_attr(false))]),
    ]
}

/// The host's reduction of `v` (shape `shape`) over `axes`: (outputs, sums of |element| per
/// output for a tolerance), with `f` folding f64 values from `init`.
fn reduce_host(v: &[f32], shape: &[usize], axes: &[usize], init: f64, f: impl Fn(f64, f64) -> f64) -> (Vec<f64>, Vec<f64>) {
    let rank = shape.len();
    let mut st = vec![1usize; rank];
    for d in (0..rank.saturating_sub(1)).rev() {
        st[d] = st[d + 1] * shape[d + 1];
    }
    let kept: Vec<usize> = (0..rank).filter(|d| !axes.contains(d)).collect();
    let n_out: usize = kept.iter().map(|&d| shape[d]).product();
    let (mut out, mut mag) = (vec![init; n_out], vec![0f64; n_out]);
    for (i, &x) in v.iter().enumerate() {
        let mut o = 0;
        for &d in &kept {
            o = o * shape[d] + (i / st[d]) % shape[d];
        }
        out[o] = f(out[o], x as f64);
        mag[o] += (x as f64).abs();
    }
    (out, mag)
}

fn check_close(what: &str, got: &[f32], want: &[f64], mag: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let tol = 1e-5 * mag.get(i).copied().unwrap_or(w.abs()) + 1e-6 * w.abs() + 1e-6;
        assert!((g as f64 - w).abs() <= tol, "{what}: output {i}: got {g}, want {w} (tolerance {tol})");
    }
}

/// Sum, Mean, Max, Min and EuclideanNorm of `v` over `axes`, checked on the host.
fn check_float_reductions(ctx: &Context, v: Vec<f32>, shape: &[usize], axes: &[usize], ops: &[&str]) {
    let x = Tensor::from_f32(shape.to_vec(), v).unwrap();
    let v = x.as_f32().unwrap();
    let n_red: usize = axes.iter().map(|&d| shape[d]).product();
    let ax: Vec<i32> = axes.iter().map(|&a| a as i32).collect();
    for &name in ops {
        let what = format!("{name} of {shape:?} over {axes:?}");
        let y = f32s(&run(ctx, reduce_graph(name, F32, shape.len(), &ax), &x, &["y"])[0]);
        let (want, mag) = match name {
            "Sum" => reduce_host(v, shape, axes, 0.0, |a, b| a + b),
            "Mean" => {
                let (s, m) = reduce_host(v, shape, axes, 0.0, |a, b| a + b);
                (s.iter().map(|s| s / n_red as f64).collect(), m.iter().map(|m| m / n_red as f64).collect())
            }
            "Max" => (reduce_host(v, shape, axes, f64::NEG_INFINITY, f64::max).0, vec![]),
            "Min" => (reduce_host(v, shape, axes, f64::INFINITY, f64::min).0, vec![]),
            "EuclideanNorm" => {
                let (s, _) = reduce_host(v, shape, axes, 0.0, |a, b| a + b * b);
                (s.iter().map(|s| s.sqrt()).collect(), vec![])
            }
            "Prod" => (reduce_host(v, shape, axes, 1.0, |a, b| a * b).0, vec![]),
            _ => unreachable!(),
        };
        check_close(&what, &y, &want, &mag);
    }
}

#[test]
fn reductions_over_all_of_16_million_elements() {
    // 4097 × 4096 = 16,781,312 elements in one reduction.
    let ctx = common::context();
    let mut r = Rng(11);
    let shape = [4097usize, 4096];
    let mut v = r.vec(shape[0] * shape[1]);
    v[16_781_311] = 3.5; // the maximum, last
    v[16_777_216] = -3.25; // the minimum, just past 2^24
    check_float_reductions(&ctx, v, &shape, &[0, 1], &["Sum", "Mean", "Max", "Min", "EuclideanNorm"]);
    // A product of 16.8M factors: ones but for a few powers of two (exact).
    let mut p = vec![1f32; shape[0] * shape[1]];
    for (i, j) in [0usize, 65_536 * 256 - 1, 65_536 * 256, 16_781_311].into_iter().enumerate() {
        p[j] = if i % 2 == 0 { 4.0 } else { 0.5 };
    }
    check_float_reductions(&ctx, p, &shape, &[0, 1], &["Prod"]);
}

#[test]
fn reductions_down_the_first_axis_of_a_tall_tensor() {
    // [1_100_000, 16] over axis 0: 16 strided outputs of 1.1M elements each (17.6M elements).
    let ctx = common::context();
    let mut r = Rng(12);
    let shape = [1_100_000usize, 16];
    let mut v = r.vec(shape[0] * shape[1]);
    v[(shape[0] - 1) * 16 + 5] = 9.0;
    v[1_048_576 * 16 + 3] = -9.0;
    check_float_reductions(&ctx, v, &shape, &[0], &["Sum", "Max", "Min", "Mean"]);
    // Four columns: a workgroup per output, lanes reading strided elements.
    let shape = [4_200_000usize, 4];
    check_float_reductions(&ctx, r.vec(shape[0] * shape[1]), &shape, &[0], &["Sum", "Max"]);
}

#[test]
fn reductions_over_the_middle_axis() {
    // [3, 1_400_001, 4] over axis 1 (12 outputs of 1.4M, stride 4: 16.8M elements), and over
    // axes 0 and 2 of the same tensor (1.4M outputs of 12 elements, two reduced dims).
    let ctx = common::context();
    let mut r = Rng(13);
    let shape = [3usize, 1_400_001, 4];
    let v = r.vec(shape.iter().product());
    check_float_reductions(&ctx, v.clone(), &shape, &[1], &["Sum", "Min"]);
    check_float_reductions(&ctx, v, &shape, &[0, 2], &["Sum", "Max"]);
}

#[test]
fn reductions_over_long_rows_and_many_rows() {
    let ctx = common::context();
    let mut r = Rng(14);
    // Two rows of 8.4M.
    let shape = [2usize, 8_400_000];
    check_float_reductions(&ctx, r.vec(shape[0] * shape[1]), &shape, &[1], &["Sum", "Max", "EuclideanNorm"]);
    // 8.4M rows of 2: one invocation per row, beyond 65,535 workgroups of 64.
    let shape = [8_400_000usize, 2];
    check_float_reductions(&ctx, r.vec(shape[0] * shape[1]), &shape, &[1], &["Sum", "Min", "Mean"]);
}

#[test]
fn integer_and_bool_reductions_over_16_million_elements() {
    let ctx = common::context();
    let n = 16_777_216 + 1000;
    // int32 sums exactly (small values), over all of a vector and down a column pair.
    let v: Vec<i32> = (0..n).map(|i| (i % 7) as i32 - 3 + (i == n - 1) as i32 * 1000).collect();
    let x = Tensor::from_i32(vec![n / 2, 2], v.clone()).unwrap();
    let y = i64s(&run(&ctx, reduce_graph("Sum", I32, 2, &[0]), &x, &["y"])[0]);
    let want: Vec<i64> = (0..2).map(|c| v.iter().skip(c).step_by(2).map(|&a| a as i64).sum()).collect();
    assert_eq!(y, want, "int32 Sum down [{}, 2]", n / 2);
    let y = i64s(&run(&ctx, reduce_graph("Max", I32, 2, &[0, 1]), &x, &["y"])[0]);
    assert_eq!(y, [1003]);
    // int64 beyond the int32 range.
    let v: Vec<i64> = (0..4_000_000).map(|i| (i as i64 % 1000) * 3_000_000_000 - 1).collect();
    let x = Tensor::from_i64(vec![4_000_000], v.clone()).unwrap();
    let y = i64s(&run(&ctx, reduce_graph("Sum", I64, 1, &[0]), &x, &["y"])[0]);
    assert_eq!(y, [v.iter().sum::<i64>()], "int64 Sum of 4M");
    // All and Any over 16.8M bools, the deciding element last.
    let mut b = vec![true; n];
    b[n - 1] = false;
    let x = Tensor::from_bool(vec![n], b).unwrap();
    let all = run(&ctx, reduce_graph("All", BOOL, 1, &[0]), &x, &["y"]);
    assert_eq!(i64s(&all[0]), [0], "All with one false, last");
    let mut b = vec![false; n];
    b[n - 1] = true;
    let x = Tensor::from_bool(vec![n], b).unwrap();
    let any = run(&ctx, reduce_graph("Any", BOOL, 1, &[0]), &x, &["y"]);
    assert_eq!(i64s(&any[0]), [1], "Any with one true, last");
}

// ---------------------------------------------------------------------------------------------
// ArgMax, ArgMin

fn arg_graph(op_name: &str, dtype: i32, rank: usize, axis: i32, out: i32) -> Vec<NodeDef> {
    vec![
        input(dtype, rank),
        const_i32("axis", &[], &[axis]),
        node("y", op_name, &["x", "axis"], vec![("T", ty(dtype)), ("Tidx", ty(I32)), ("output_type", ty(out))]),
    ]
}

/// The host's ArgMax (`min`: ArgMin) of `v` seen as [outer, len, inner]; ties to the first.
fn arg_host(v: &[f32], [outer, len, inner]: [usize; 3], min: bool) -> Vec<i64> {
    let mut out = Vec::with_capacity(outer * inner);
    for o in 0..outer {
        for i in 0..inner {
            let mut best = 0;
            for k in 1..len {
                let (a, b) = (v[(o * len + k) * inner + i], v[(o * len + best) * inner + i]);
                if if min { a < b } else { a > b } {
                    best = k;
                }
            }
            out.push(best as i64);
        }
    }
    out
}

const ARG_ALL: &[(&str, bool, i32)] = &[("ArgMax", false, I64), ("ArgMax", false, I32), ("ArgMin", true, I64), ("ArgMin", true, I32)];

fn check_arg(ctx: &Context, v: Vec<f32>, shape: &[usize], axis: usize, ops: &[(&str, bool, i32)]) {
    let x = Tensor::from_f32(shape.to_vec(), v).unwrap();
    let split = [shape[..axis].iter().product(), shape[axis], shape[axis + 1..].iter().product()];
    for &(name, min, out) in ops {
        let y = i64s(&run(ctx, arg_graph(name, F32, shape.len(), axis as i32, out), &x, &["y"])[0]);
        let want = arg_host(x.as_f32().unwrap(), split, min);
        if let Some(i) = (0..want.len()).find(|&i| y[i] != want[i]) {
            panic!("{name} of {shape:?} over axis {axis} (output type {out}): output {i}: got {}, want {}", y[i], want[i]);
        }
    }
}

#[test]
fn arg_max_and_min_of_a_row_of_16_million() {
    let ctx = common::context();
    let mut r = Rng(21);
    let n = 16_781_312usize;
    let mut v = rounded(&mut r, n, 1000.0);
    // Ties for both, the first of each beyond 2^24 and across parts of the row.
    for j in [16_777_217usize, 16_781_311] {
        v[j] = 7.0;
    }
    for j in [16_000_001usize, 16_777_216, 16_781_000] {
        v[j] = -7.0;
    }
    check_arg(&ctx, v, &[1, n], 1, ARG_ALL);
}

#[test]
fn arg_max_and_min_down_a_tall_column_and_across_many_rows() {
    let ctx = common::context();
    let mut r = Rng(22);
    // Over axis 0 of [1_100_000, 16]: strided lines of 1.1M, ties on purpose.
    let shape = [1_100_000usize, 16];
    check_arg(&ctx, rounded(&mut r, shape[0] * shape[1], 500.0), &shape, 0, ARG_ALL);
    // Over the last axis of 4.2M rows of 3 (an invocation per row: more than 65,535 × 64), and
    // of 66,000 rows of 300 (a workgroup per row: more than 65,535).
    let shape = [4_200_000usize, 3];
    check_arg(&ctx, rounded(&mut r, shape[0] * shape[1], 4.0), &shape, 1, ARG_ALL);
    let shape = [66_000usize, 300];
    check_arg(&ctx, rounded(&mut r, shape[0] * shape[1], 64.0), &shape, 1, &[("ArgMin", true, I64)]);
}

#[test]
fn arg_max_of_int32_over_a_long_middle_axis() {
    let ctx = common::context();
    let (outer, len, inner) = (2usize, 4_200_000usize, 2usize);
    let v: Vec<i32> = (0..outer * len * inner).map(|i| ((i * 7919) % 100_003) as i32 - 50_000).collect();
    let x = Tensor::from_i32(vec![outer, len, inner], v.clone()).unwrap();
    let y = i64s(&run(&ctx, arg_graph("ArgMax", I32, 3, 1, I64), &x, &["y"])[0]);
    let f: Vec<f32> = v.iter().map(|&a| a as f32).collect();
    assert_eq!(y, arg_host(&f, [outer, len, inner], false));
}

// ---------------------------------------------------------------------------------------------
// Softmax, LogSoftmax

fn check_softmax(ctx: &Context, v: Vec<f32>, rows: usize, log: bool) {
    let cols = v.len() / rows;
    let name = if log { "LogSoftmax" } else { "Softmax" };
    let x = Tensor::from_f32(vec![rows, cols], v).unwrap();
    let y = f32s(&run(ctx, vec![input(F32, 2), op("y", name, &["x"])], &x, &["y"])[0]);
    let v = x.as_f32().unwrap();
    for r in 0..rows {
        let row = &v[r * cols..(r + 1) * cols];
        let m = row.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b as f64));
        let s: f64 = row.iter().map(|&a| (a as f64 - m).exp()).sum();
        for (j, &a) in row.iter().enumerate() {
            let want = if log { a as f64 - m - s.ln() } else { (a as f64 - m).exp() / s };
            let got = y[r * cols + j] as f64;
            assert!(got == want || (got - want).abs() <= 2e-5 * want.abs() + 1e-12, "{name} [{rows}, {cols}]: row {r} column {j}: got {got}, want {want}");
        }
    }
}

#[test]
fn softmax_of_a_row_of_16_million() {
    let ctx = common::context();
    let mut r = Rng(31);
    let n = 16_781_312usize;
    let mut v: Vec<f32> = (0..n).map(|_| r.f32() * 4.0).collect();
    v[n - 1] = 9.0; // the maximum, last
    v[16_777_216] = f32::NEG_INFINITY;
    check_softmax(&ctx, v, 1, false);
}

#[test]
fn log_softmax_of_long_rows_and_softmax_of_many_rows() {
    let ctx = common::context();
    let mut r = Rng(32);
    let mut v: Vec<f32> = (0..2 * 6_000_000).map(|_| r.f32() * 8.0).collect();
    // A part of a row entirely -inf: its terms vanish, the row stays finite.
    for a in &mut v[6_100_000..6_100_000 + 20_000] {
        *a = f32::NEG_INFINITY;
    }
    check_softmax(&ctx, v, 2, true);
    // 70,000 rows of 240: more workgroups than one dimension holds.
    check_softmax(&ctx, (0..70_000 * 240).map(|_| r.f32() * 3.0).collect(), 70_000, false);
}

// ---------------------------------------------------------------------------------------------
// Cumsum, Cumprod

fn scan_graph(op_name: &str, dtype: i32, rank: usize, axis: i32, exclusive: bool, reverse: bool) -> Vec<NodeDef> {
    vec![
        input(dtype, rank),
        const_i32("axis", &[], &[axis]),
        node("y", op_name, &["x", "axis"], vec![("T", ty(dtype)), ("Tidx", ty(I32)), ("exclusive", bool_attr(exclusive)), ("reverse", bool_attr(reverse))]),
    ]
}

/// The host's scan of `v` seen as [outer, len, inner] in f64: (values, prefix sums of |x|).
fn scan_host(v: &[f64], [outer, len, inner]: [usize; 3], exclusive: bool, reverse: bool, prod: bool) -> (Vec<f64>, Vec<f64>) {
    let (mut out, mut mag) = (vec![0f64; v.len()], vec![0f64; v.len()]);
    for o in 0..outer {
        for i in 0..inner {
            let (mut acc, mut abs) = (if prod { 1.0 } else { 0.0 }, 0.0);
            for s in 0..len {
                let p = (o * len + if reverse { len - 1 - s } else { s }) * inner + i;
                if exclusive {
                    out[p] = acc;
                }
                acc = if prod { acc * v[p] } else { acc + v[p] };
                abs += v[p].abs();
                if !exclusive {
                    out[p] = acc;
                }
                mag[p] = abs;
            }
        }
    }
    (out, mag)
}

fn check_cumsum(ctx: &Context, v: Vec<f32>, shape: &[usize], axis: usize, exclusive: bool, reverse: bool) {
    let x = Tensor::from_f32(shape.to_vec(), v).unwrap();
    let y = f32s(&run(ctx, scan_graph("Cumsum", F32, shape.len(), axis as i32, exclusive, reverse), &x, &["y"])[0]);
    let split = [shape[..axis].iter().product(), shape[axis], shape[axis + 1..].iter().product()];
    let v: Vec<f64> = x.as_f32().unwrap().iter().map(|&a| a as f64).collect();
    let (want, mag) = scan_host(&v, split, exclusive, reverse, false);
    let what = format!("Cumsum of {shape:?} along {axis} (exclusive {exclusive}, reverse {reverse})");
    check_close(&what, &y, &want, &mag);
}

#[test]
fn cumsum_along_a_row_of_16_million() {
    let ctx = common::context();
    let mut r = Rng(41);
    check_cumsum(&ctx, r.vec(16_781_312), &[16_781_312], 0, false, false);
}

#[test]
fn cumsum_down_columns_along_middle_axes_and_across_many_lines() {
    let ctx = common::context();
    let mut r = Rng(42);
    // Down axis 0 of [1_100_000, 16], reversed and exclusive.
    check_cumsum(&ctx, r.vec(1_100_000 * 16), &[1_100_000, 16], 0, true, true);
    // Along the middle axis of [3, 1_400_001, 4].
    check_cumsum(&ctx, r.vec(3 * 1_400_001 * 4), &[3, 1_400_001, 4], 1, false, true);
    // 16.8M lines of one element, and 5.6M lines of 3: more than 65,535 × 256 invocations.
    check_cumsum(&ctx, r.vec(16_800_000), &[16_800_000, 1], 1, false, true);
    check_cumsum(&ctx, r.vec(5_600_000 * 3), &[5_600_000, 3], 1, true, false);
}

#[test]
fn cumprod_and_integer_cumsums_of_long_rows() {
    let ctx = common::context();
    // Cumprod of 5M factors, ones but for powers of two: exact.
    let n = 5_000_000usize;
    let v: Vec<f32> = (0..n).map(|i| if i % 500_009 == 3 { 2.0 } else if i % 700_001 == 5 { 0.5 } else { 1.0 }).collect();
    let x = Tensor::from_f32(vec![1, n], v.clone()).unwrap();
    for (exclusive, reverse) in [(false, false), (true, true)] {
        let y = f32s(&run(&ctx, scan_graph("Cumprod", F32, 2, 1, exclusive, reverse), &x, &["y"])[0]);
        let (want, _) = scan_host(&v.iter().map(|&a| a as f64).collect::<Vec<_>>(), [1, n, 1], exclusive, reverse, true);
        if let Some(i) = (0..n).find(|&i| y[i] as f64 != want[i]) {
            panic!("Cumprod (exclusive {exclusive}, reverse {reverse}): element {i}: got {}, want {}", y[i], want[i]);
        }
    }
    // int32 Cumsum of 5M small values: exact.
    let v: Vec<i32> = (0..n).map(|i| (i % 5) as i32 - 1).collect();
    let x = Tensor::from_i32(vec![n], v.clone()).unwrap();
    let y = i64s(&run(&ctx, scan_graph("Cumsum", I32, 1, 0, false, false), &x, &["y"])[0]);
    let mut acc = 0i64;
    for (i, &a) in v.iter().enumerate() {
        acc += a as i64;
        assert_eq!(y[i], acc, "int32 Cumsum: element {i}");
    }
    // int64 beyond the int32 range, reversed.
    let v: Vec<i64> = (0..n as i64).map(|i| (i % 3 - 1) * 5_000_000_000).collect();
    let x = Tensor::from_i64(vec![n], v.clone()).unwrap();
    let y = i64s(&run(&ctx, scan_graph("Cumsum", I64, 1, 0, false, true), &x, &["y"])[0]);
    let mut acc = 0i64;
    for i in (0..n).rev() {
        acc += v[i];
        assert_eq!(y[i], acc, "int64 Cumsum: element {i}");
    }
}

// ---------------------------------------------------------------------------------------------
// Gather, Concat, Pad, Transpose: one invocation per output element, grids folded into 2-D

/// `x` as f32 with each element its own index (exact up to 2^24; beyond, the pattern wraps at
/// 2^23 so that every value stays exact and neighbours still differ).
fn iota(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_f32(shape.to_vec(), (0..n).map(|i| (i % (1 << 23)) as f32 + (i >> 23) as f32 * 0.5).collect()).unwrap()
}

fn check_same(what: &str, got: &[f32], want: impl Iterator<Item = f32>) {
    let mut n = 0;
    for (i, w) in want.enumerate() {
        assert!(got[i].to_bits() == w.to_bits(), "{what}: element {i}: got {}, want {w}", got[i]);
        n += 1;
    }
    assert_eq!(n, got.len(), "{what}: element count");
}

#[test]
fn gather_many_rows_of_large_params() {
    let ctx = common::context();
    let mut r = Rng(51);
    // 70,000 rows of 256 gathered from [65_600, 256] (16.8M each way), the last rows too.
    let (rows, width, k) = (65_600usize, 256usize, 70_000usize);
    let params = iota(&[rows, width]);
    let mut idx: Vec<i32> = (0..k).map(|_| r.below(rows) as i32).collect();
    idx[0] = rows as i32 - 1;
    idx[k - 1] = 65_536;
    let indices = Tensor::from_i32(vec![k], idx.clone()).unwrap();
    let g = vec![
        placeholder("x", F32, &[-1, -1]),
        placeholder("i", I32, &[-1]),
        const_i32("axis", &[], &[0]),
        node("y", "GatherV2", &["x", "i", "axis"], vec![("Tparams", ty(F32)), ("Tindices", ty(I32)), ("Taxis", ty(I32))]),
    ];
    let y = run_with(&ctx, g.clone(), &[("x", &params), ("i", &indices)], &["y"]);
    assert_eq!(y[0].shape(), [k, width]);
    let p = params.as_f32().unwrap();
    check_same("Gather rows", &f32s(&y[0]), idx.iter().flat_map(|&i| p[i as usize * width..(i as usize + 1) * width].iter().copied()));
    // Along axis 1 of [256, 65_600]: 300 columns of each row.
    let params = iota(&[width, rows]);
    let cols: Vec<i32> = (0..300).map(|j| if j == 0 { rows as i32 - 1 } else { r.below(rows) as i32 }).collect();
    let indices = Tensor::from_i32(vec![300], cols.clone()).unwrap();
    let mut g1 = g;
    g1[2] = const_i32("axis", &[], &[1]);
    let y = run_with(&ctx, g1, &[("x", &params), ("i", &indices)], &["y"]);
    let p = params.as_f32().unwrap();
    check_same("Gather columns", &f32s(&y[0]), (0..width).flat_map(|row| cols.iter().map(move |&c| p[row * rows + c as usize])));
}

#[test]
fn concat_of_large_tensors_along_the_first_and_last_axes() {
    let ctx = common::context();
    let g = |axis: i32| {
        vec![
            placeholder("x", F32, &[-1, -1]),
            placeholder("z", F32, &[-1, -1]),
            const_i32("axis", &[], &[axis]),
            node("y", "ConcatV2", &["x", "z", "axis"], vec![("T", ty(F32)), ("N", int(2)), ("Tidx", ty(I32))]),
        ]
    };
    // [4097, 4096] ++ [100, 4096] along axis 0.
    let (a, b) = (iota(&[4097, 4096]), iota(&[100, 4096]));
    let y = run_with(&ctx, g(0), &[("x", &a), ("z", &b)], &["y"]);
    assert_eq!(y[0].shape(), [4197, 4096]);
    check_same("Concat axis 0", &f32s(&y[0]), a.as_f32().unwrap().iter().chain(b.as_f32().unwrap()).copied());
    // [4096, 2049] ++ [4096, 2048] along the last axis.
    let (a, b) = (iota(&[4096, 2049]), iota(&[4096, 2048]));
    let y = run_with(&ctx, g(-1), &[("x", &a), ("z", &b)], &["y"]);
    assert_eq!(y[0].shape(), [4096, 4097]);
    let (av, bv) = (a.as_f32().unwrap(), b.as_f32().unwrap());
    check_same("Concat last axis", &f32s(&y[0]), (0..4096).flat_map(|r| av[r * 2049..(r + 1) * 2049].iter().chain(&bv[r * 2048..(r + 1) * 2048]).copied()));
}

#[test]
fn pad_of_a_large_tensor() {
    let ctx = common::context();
    let (h, w) = (4096usize, 4096usize);
    let x = iota(&[h, w]);
    let xv = x.as_f32().unwrap();
    let (top, left, ow) = (1usize, 3usize, w + 3 + 4);
    let pads = const_i32("p", &[2, 2], &[1, 2, 3, 4]);
    // Constant padding with a value.
    let g = vec![
        input(F32, 2),
        pads.clone(),
        const_f32("c", &[], &[-1.5]),
        node("y", "PadV2", &["x", "p", "c"], vec![("T", ty(F32)), ("Tpaddings", ty(I32))]),
    ];
    let y = run(&ctx, g, &x, &["y"]);
    assert_eq!(y[0].shape(), [h + 3, ow]);
    let at = |r: usize, c: usize| if (top..top + h).contains(&r) && (left..left + w).contains(&c) { xv[(r - top) * w + c - left] } else { -1.5 };
    check_same("PadV2", &f32s(&y[0]), (0..h + 3).flat_map(|r| (0..ow).map(move |c| at(r, c))));
    // Reflection.
    let g = vec![input(F32, 2), pads, node("y", "MirrorPad", &["x", "p"], vec![("T", ty(F32)), ("Tpaddings", ty(I32)), ("mode", attr(wgtf::proto::attr_value::Value::S(b"REFLECT".to_vec())))])];
    let y = run(&ctx, g, &x, &["y"]);
    let refl = |c: isize, n: usize| if c < 0 { (-c) as usize } else if c as usize >= n { 2 * n - 2 - c as usize } else { c as usize };
    check_same("MirrorPad", &f32s(&y[0]), (0..h + 3).flat_map(|r| (0..ow).map(move |c| xv[refl(r as isize - 1, h) * w + refl(c as isize - 3, w)])));
}

#[test]
fn transpose_of_large_matrices_and_rank_4_permutations() {
    let ctx = common::context();
    let g = |rank: usize, perm: &[i32]| vec![input(F32, rank), const_i32("perm", &[perm.len() as i64], perm), node("y", "Transpose", &["x", "perm"], vec![("T", ty(F32)), ("Tperm", ty(I32))])];
    let (r, c) = (4096usize, 4100usize);
    let x = iota(&[r, c]);
    let xv = x.as_f32().unwrap();
    let y = run(&ctx, g(2, &[1, 0]), &x, &["y"]);
    assert_eq!(y[0].shape(), [c, r]);
    check_same("Transpose [4096, 4100]", &f32s(&y[0]), (0..c).flat_map(|j| (0..r).map(move |i| xv[i * c + j])));
    // [16, 256, 64, 65] (17M) by [3, 1, 0, 2].
    let s = [16usize, 256, 64, 65];
    let x = iota(&s);
    let xv = x.as_f32().unwrap();
    let y = run(&ctx, g(4, &[3, 1, 0, 2]), &x, &["y"]);
    assert_eq!(y[0].shape(), [65, 256, 16, 64]);
    let at = move |a: usize, b: usize, c: usize, d: usize| xv[((a * s[1] + b) * s[2] + c) * s[3] + d];
    check_same("Transpose rank 4", &f32s(&y[0]), (0..65).flat_map(|d| (0..256).flat_map(move |b| (0..16).flat_map(move |a| (0..64).map(move |c| at(a, b, c, d))))));
}

// ---------------------------------------------------------------------------------------------
// Matrix products over a long K: every kernel loops over K

/// A[b]·B[b] on the host, A [batch, m, k] (or [batch, k, m] with `ta`), B [batch, k, n].
fn matmul_host(a: &[f32], b: &[f32], batch: usize, m: usize, k: usize, n: usize, ta: bool) -> (Vec<f64>, Vec<f64>) {
    let (mut c, mut mag) = (vec![0f64; batch * m * n], vec![0f64; batch * m * n]);
    for z in 0..batch {
        for i in 0..m {
            for q in 0..k {
                let av = a[z * m * k + if ta { q * m + i } else { i * k + q }] as f64;
                for j in 0..n {
                    let p = av * b[z * k * n + q * n + j] as f64;
                    c[(z * m + i) * n + j] += p;
                    mag[(z * m + i) * n + j] += p.abs();
                }
            }
        }
    }
    (c, mag)
}

fn check_matmul(ctx: &Context, batch: usize, m: usize, k: usize, n: usize, ta: bool) {
    let mut r = Rng((m * 31 + k * 7 + n) as u64);
    let (a, b) = (r.vec(batch * m * k), r.vec(batch * k * n));
    let a_shape = if ta { vec![batch, k, m] } else { vec![batch, m, k] };
    let (ta_t, tb_t) = (Tensor::from_f32(a_shape, a.clone()).unwrap(), Tensor::from_f32(vec![batch, k, n], b.clone()).unwrap());
    let attrs = vec![("T", ty(F32)), ("adj_x", bool_attr(ta)), ("adj_y", bool_attr(false))];
    let g = vec![placeholder("x", F32, &[-1, -1, -1]), placeholder("w", F32, &[-1, -1, -1]), node("y", "BatchMatMulV2", &["x", "w"], attrs)];
    let y = f32s(&run_with(ctx, g, &[("x", &ta_t), ("w", &tb_t)], &["y"])[0]);
    let (want, mag) = matmul_host(&a, &b, batch, m, k, n, ta);
    check_close(&format!("[{batch}, {m}, {k}]·[{batch}, {k}, {n}] (A transposed: {ta})"), &y, &want, &mag);
}

#[test]
fn matrix_products_over_a_long_k() {
    let ctx = common::context();
    // Rows of A not multiples of 4 floats: a step per k.
    check_matmul(&ctx, 1, 16, 70_001, 16, false);
    // A few rows: lanes split K, 8 k per step.
    check_matmul(&ctx, 1, 3, 600_001, 4, false);
    // Transposed A, batched.
    check_matmul(&ctx, 2, 9, 70_000, 8, true);
    // The tiled kernel of adapters without subgroups.
    let tiled = context_without(wgpu::Features::SUBGROUP);
    check_matmul(&tiled, 1, 8, 70_001, 8, false);
    check_matmul(&tiled, 2, 65, 66_000, 12, false);
}

/// NHWC · HWIO, stride 1, VALID, on the host.
fn conv_host(x: &[f32], [n, h, w, c]: [usize; 4], f: &[f32], [kh, kw, oc]: [usize; 3]) -> (Vec<f64>, Vec<f64>) {
    let (oh, ow) = (h - kh + 1, w - kw + 1);
    let (mut y, mut mag) = (vec![0f64; n * oh * ow * oc], vec![0f64; n * oh * ow * oc]);
    for img in 0..n {
        for oy in 0..oh {
            for ox in 0..ow {
                for ky in 0..kh {
                    for kx in 0..kw {
                        for ch in 0..c {
                            let xv = x[((img * h + oy + ky) * w + ox + kx) * c + ch] as f64;
                            for o in 0..oc {
                                let p = xv * f[((ky * kw + kx) * c + ch) * oc + o] as f64;
                                y[((img * oh + oy) * ow + ox) * oc + o] += p;
                                mag[((img * oh + oy) * ow + ox) * oc + o] += p.abs();
                            }
                        }
                    }
                }
            }
        }
    }
    (y, mag)
}

#[test]
fn convolutions_over_a_long_k() {
    // 5×5 taps of 2999 channels: K = 74,975 (a step per channel without vec4 loads).
    let (shape, fs) = ([1usize, 9, 9, 2999], [5usize, 5, 8]);
    let mut r = Rng(61);
    let (x, f) = (r.vec(shape.iter().product()), r.vec(fs[0] * fs[1] * shape[3] * fs[2]));
    let (want, mag) = conv_host(&x, shape, &f, fs);
    let xt = Tensor::from_f32(shape.to_vec(), x).unwrap();
    let ft = Tensor::from_f32(vec![fs[0], fs[1], shape[3], fs[2]], f).unwrap();
    let valid = attr(wgtf::proto::attr_value::Value::S(b"VALID".to_vec()));
    let g = vec![
        placeholder("x", F32, &[-1, -1, -1, -1]),
        placeholder("w", F32, &[-1, -1, -1, -1]),
        node("y", "Conv2D", &["x", "w"], vec![("T", ty(F32)), ("strides", ints(&[1, 1, 1, 1])), ("padding", valid)]),
    ];
    let tiled = context_without(wgpu::Features::SUBGROUP);
    for ctx in [common::context(), tiled] {
        let y = f32s(&run_with(&ctx, g.clone(), &[("x", &xt), ("w", &ft)], &["y"])[0]);
        check_close("Conv2D 5×5×2999", &y, &want, &mag);
    }
}

// ---------------------------------------------------------------------------------------------
// Where (coordinates of the non-zero elements; a data-dependent number of rows)

fn check_where(ctx: &Context, x: &Tensor, dtype: i32) {
    let y = run(ctx, vec![input(dtype, x.rank()), node("y", "Where", &["x"], vec![("T", ty(dtype))])], x, &["y"]);
    let v = x.to_f64_vec().unwrap();
    let mut want = Vec::new();
    let mut st = vec![1usize; x.rank()];
    for d in (0..x.rank().saturating_sub(1)).rev() {
        st[d] = st[d + 1] * x.shape()[d + 1];
    }
    for (i, &a) in v.iter().enumerate() {
        if a != 0.0 {
            want.extend((0..x.rank()).map(|d| ((i / st[d]) % x.shape()[d]) as i64));
        }
    }
    assert_eq!(y[0].shape(), [want.len() / x.rank(), x.rank()], "Where of {:?}", x.shape());
    let got = i64s(&y[0]);
    if let Some(i) = (0..want.len()).find(|&i| got[i] != want[i]) {
        panic!("Where of {:?}: coordinate {i}: got {}, want {}", x.shape(), got[i], want[i]);
    }
}

#[test]
fn where_of_16_million_elements() {
    // The output is planned for every element being non-zero: [n, rank] int64 (where the
    // adapter has int64) must fit one binding (16M rows of rank 1 in lavapipe's 128 MiB).
    let ctx = common::context();
    let n = 16_000_000usize;
    let mut r = Rng(71);
    // Sparse, with the last element true.
    let b: Vec<bool> = (0..n).map(|i| i == n - 1 || r.below(1000) == 0).collect();
    check_where(&ctx, &Tensor::from_bool(vec![n], b).unwrap(), BOOL);
    // Dense int32 of rank 3 (5M elements).
    let v: Vec<i32> = (0..64 * 1250 * 64).map(|i| (i % 3 != 1) as i32 * (i % 7) as i32).collect();
    let x = Tensor::from_i32(vec![64, 1250, 64], v).unwrap();
    check_where(&ctx, &x, I32);
    // Without 64-bit integers on the device: int32 rows, widened when read back.
    let narrow = context_without(wgpu::Features::SHADER_INT64);
    check_where(&narrow, &x, I32);
}

// ---------------------------------------------------------------------------------------------
// NonMaxSuppression: one workgroup runs the rounds, in dispatches that fit the loop budget

#[test]
fn non_max_suppression_of_many_boxes_over_many_rounds() {
    let ctx = common::context();
    let mut r = Rng(81);
    let n = 30_000usize;
    let max_out = 1000usize;
    // Small boxes scattered over [0, 100)²: some overlap, most do not.
    let mut boxes = Vec::with_capacity(n * 4);
    for _ in 0..n {
        let (y, x) = ((r.f32() + 1.0) * 50.0, (r.f32() + 1.0) * 50.0);
        let (h, w) = ((r.f32() + 1.0) * 1.5 + 0.1, (r.f32() + 1.0) * 1.5 + 0.1);
        boxes.extend([y, x, y + h, x + w]);
    }
    let scores: Vec<f32> = (0..n).map(|_| (r.f32() + 1.0) * 0.5).collect();
    let g = vec![
        placeholder("x", F32, &[-1, 4]),
        placeholder("s", F32, &[-1]),
        const_i32("m", &[], &[max_out as i32]),
        const_f32("iou", &[], &[0.3]),
        const_f32("st", &[], &[0.2]),
        node("y", "NonMaxSuppressionV3", &["x", "s", "m", "iou", "st"], vec![("T", ty(F32)), ("T_threshold", ty(F32))]),
    ];
    let (bt, st) = (Tensor::from_f32(vec![n, 4], boxes.clone()).unwrap(), Tensor::from_f32(vec![n], scores.clone()).unwrap());
    let got = i64s(&run_with(&ctx, g, &[("x", &bt), ("s", &st)], &["y"])[0]);
    // The host's greedy selection: best score first (lower index on ties), kept when its IoU
    // with every kept box is at most the threshold.
    let iou = |i: usize, j: usize| {
        let (a, b) = (&boxes[i * 4..i * 4 + 4], &boxes[j * 4..j * 4 + 4]);
        let area = |q: &[f32]| (q[2] - q[0]) * (q[3] - q[1]);
        let ih = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
        let iw = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
        ih * iw / (area(a) + area(b) - ih * iw)
    };
    let mut order: Vec<usize> = (0..n).filter(|&i| scores[i] > 0.2).collect();
    order.sort_by(|&a, &b| scores[b].partial_cmp(&scores[a]).unwrap().then(a.cmp(&b)));
    let mut want: Vec<i64> = Vec::new();
    for &i in &order {
        if want.len() == max_out {
            break;
        }
        if want.iter().all(|&j| iou(i, j as usize) <= 0.3) {
            want.push(i as i64);
        }
    }
    assert_eq!(want.len(), max_out, "the case selects max_output_size boxes");
    assert_eq!(got.len(), want.len(), "selected count");
    if let Some(p) = (0..want.len()).find(|&p| got[p] != want[p]) {
        panic!("NMS: selection {p}: got box {}, want {}", got[p], want[p]);
    }
}

// ---------------------------------------------------------------------------------------------
// Pools whose window is the whole image: an invocation per output would loop over all of it

#[test]
fn global_pools_over_large_windows() {
    let ctx = common::context();
    let mut r = Rng(91);
    let (n, h, w, c) = (2usize, 300usize, 301usize, 3usize);
    let mut v = r.vec(n * h * w * c);
    v[((1 * h + h - 1) * w + w - 1) * c + 2] = 5.0; // image 1's channel 2 maximum, last
    let x = Tensor::from_f32(vec![n, h, w, c], v.clone()).unwrap();
    let s = |v: &str| attr(wgtf::proto::attr_value::Value::S(v.as_bytes().to_vec()));
    for (name, max) in [("MaxPool", true), ("AvgPool", false)] {
        let attrs = vec![("T", ty(F32)), ("ksize", ints(&[1, h as i64, w as i64, 1])), ("strides", ints(&[1, 1, 1, 1])), ("padding", s("VALID")), ("data_format", s("NHWC"))];
        let y = f32s(&run(&ctx, vec![input(F32, 4), node("y", name, &["x"], attrs)], &x, &["y"])[0]);
        let (sum, mag) = reduce_host(&v, &[n, h, w, c], &[1, 2], 0.0, |a, b| a + b);
        let want: Vec<f64> = if max {
            reduce_host(&v, &[n, h, w, c], &[1, 2], f64::NEG_INFINITY, f64::max).0
        } else {
            sum.iter().map(|s| s / (h * w) as f64).collect()
        };
        let mag: Vec<f64> = if max { vec![] } else { mag.iter().map(|m| m / (h * w) as f64).collect() };
        check_close(&format!("{name} {h}x{w}"), &y, &want, &mag);
    }
}

#[test]
fn matrix_products_and_convolutions_of_many_rows_and_batches() {
    // More row tiles (of 8 rows) and more batches than one dispatch dimension holds: several
    // dispatches. (The tiled kernel of adapters without subgroups splits its tiles of 64 rows
    // the same way — gemm::dispatch — but 65,536 of its workgroups take a minute on lavapipe:
    // its split is only planned here.)
    let ctx = common::context();
    check_matmul(&ctx, 1, 4_200_000, 4, 3, false);
    check_matmul(&ctx, 70_000, 2, 3, 2, false);
    // The tiled kernel's split, planned (not run): two dispatches each.
    let tiled = context_without(wgpu::Features::SUBGROUP);
    let g = vec![placeholder("x", F32, &[-1, -1, -1]), placeholder("w", F32, &[-1, -1, -1]), node("y", "BatchMatMulV2", &["x", "w"], vec![("T", ty(F32))])];
    let m = tiled.load_graph_def(&bytes(g), &LoadOptions::default()).unwrap();
    for (a, b) in [([1, 4_200_000, 4], [1, 4, 3]), ([70_000, 2, 3], [70_000, 3, 2])] {
        let plan = m.plan_summary(&[("x", wgtf::DType::F32, a.to_vec()), ("w", wgtf::DType::F32, b.to_vec())], &["y"]).unwrap();
        assert_eq!(plan.dispatches, 2, "tiled [{a:?}]·[{b:?}]: {:?}", plan.kernels);
    }
    // A 3×3 convolution of a 2102×2102 image: 4.4M output pixels (rows of the GEMM).
    let (shape, fs) = ([1usize, 2102, 2102, 1], [3usize, 3, 2]);
    let mut r = Rng(62);
    let (x, f) = (r.vec(shape.iter().product()), r.vec(9 * 2));
    let (want, mag) = conv_host(&x, shape, &f, fs);
    let xt = Tensor::from_f32(shape.to_vec(), x).unwrap();
    let ft = Tensor::from_f32(vec![3, 3, 1, 2], f).unwrap();
    let valid = attr(wgtf::proto::attr_value::Value::S(b"VALID".to_vec()));
    let g = vec![
        placeholder("x", F32, &[-1, -1, -1, -1]),
        placeholder("w", F32, &[-1, -1, -1, -1]),
        node("y", "Conv2D", &["x", "w"], vec![("T", ty(F32)), ("strides", ints(&[1, 1, 1, 1])), ("padding", valid)]),
    ];
    let y = f32s(&run_with(&ctx, g, &[("x", &xt), ("w", &ft)], &["y"])[0]);
    check_close("Conv2D of 2100×2100 outputs", &y, &want, &mag);
}
