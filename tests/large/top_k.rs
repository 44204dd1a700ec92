//! TopKV2
use super::*;


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
