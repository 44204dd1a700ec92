//! Where (coordinates of the non-zero elements; a data-dependent number of rows)
use super::*;


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
