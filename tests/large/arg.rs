//! ArgMax, ArgMin
use super::*;


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
