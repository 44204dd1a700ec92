//! Gather, Concat, Pad, Transpose: one invocation per output element, grids folded into 2-D
use super::*;


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
