//! Reductions
use super::*;


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
pub(super) fn reduce_host(v: &[f32], shape: &[usize], axes: &[usize], init: f64, f: impl Fn(f64, f64) -> f64) -> (Vec<f64>, Vec<f64>) {
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

pub(super) fn check_close(what: &str, got: &[f32], want: &[f64], mag: &[f64]) {
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
