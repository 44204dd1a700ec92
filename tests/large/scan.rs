//! Cumsum, Cumprod
use super::*;
use super::reduce::check_close;


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
