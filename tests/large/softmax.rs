//! Softmax, LogSoftmax
use super::*;


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
