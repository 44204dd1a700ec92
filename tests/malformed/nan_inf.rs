//! Nan / inf.
use super::*;


const NAN: f32 = f32::NAN;
const INF: f32 = f32::INFINITY;

/// Same floats, NaN equal to NaN, and signs of infinities and zeros kept (within 1e-5 otherwise).
fn same(got: &[f32], want: &[f32]) -> bool {
    got.len() == want.len()
        && got.iter().zip(want).all(|(g, w)| {
            (g.is_nan() && w.is_nan()) || (g.is_infinite() && g == w) || (g.is_finite() && w.is_finite() && (g - w).abs() <= 1e-5 * (1.0 + w.abs()))
        })
}

#[test]
fn nan_and_inf_feeds_give_tensorflows_results() {
    // Expected values: TensorFlow 2.21 (CPU) on the same feeds.
    let x = [NAN, INF, -INF, 1.0, -2.0, 0.0];
    let y = [1.0, -INF, -INF, NAN, 0.0, 0.0];
    let unary: &[(&str, [f32; 6])] = &[
        ("Relu", [NAN, INF, 0.0, 1.0, 0.0, 0.0]),
        ("Relu6", [NAN, 6.0, 0.0, 1.0, 0.0, 0.0]),
        ("Sigmoid", [NAN, 1.0, 0.0, 0.7310586, 0.11920292, 0.5]),
        ("Tanh", [NAN, 1.0, -1.0, 0.7615942, -0.9640276, 0.0]),
        ("Exp", [NAN, INF, 0.0, 2.7182817, 0.13533528, 1.0]),
        ("Sqrt", [NAN, INF, NAN, 1.0, NAN, 0.0]),
        ("Log", [NAN, INF, NAN, 0.0, NAN, -INF]),
        ("Abs", [NAN, INF, INF, 1.0, 2.0, 0.0]),
        ("Neg", [NAN, -INF, INF, -1.0, 2.0, -0.0]),
        ("Square", [NAN, INF, INF, 1.0, 4.0, 0.0]),
        ("Floor", [NAN, INF, -INF, 1.0, -2.0, 0.0]),
    ];
    let binary: &[(&str, [f32; 6])] = &[
        ("AddV2", [NAN, NAN, -INF, NAN, -2.0, 0.0]),
        ("Mul", [NAN, -INF, INF, NAN, -0.0, 0.0]),
        ("Sub", [NAN, INF, NAN, NAN, -2.0, 0.0]),
        ("RealDiv", [NAN, NAN, NAN, NAN, -INF, NAN]),
        ("Maximum", [NAN, INF, -INF, NAN, 0.0, 0.0]),
        ("Minimum", [NAN, -INF, -INF, NAN, -2.0, 0.0]),
    ];
    let mut nodes = vec![placeholder("x", F32, &[6]), placeholder("z", F32, &[6])];
    let mut fetches = Vec::new();
    for (o, _) in unary {
        nodes.push(op(&format!("u_{o}"), o, &["x"]));
        fetches.push(format!("u_{o}"));
    }
    for (o, _) in binary {
        nodes.push(op(&format!("b_{o}"), o, &["x", "z"]));
        fetches.push(format!("b_{o}"));
    }
    // Reductions, softmax and matmul over the same values.
    nodes.push(const_i32("ax", &[1], &[0]));
    for r in ["Sum", "Max", "Min", "Mean"] {
        nodes.push(node(&format!("r_{r}"), r, &["x", "ax"], vec![("T", ty(F32)), ("Tidx", ty(I32)), ("keep_dims", bool_attr(false))]));
        fetches.push(format!("r_{r}"));
    }
    nodes.push(const_i32("s23", &[2], &[2, 3]));
    nodes.push(node("x23", "Reshape", &["x", "s23"], vec![("T", ty(F32)), ("Tshape", ty(I32))]));
    nodes.push(op("softmax", "Softmax", &["x23"]));
    nodes.push(const_f32("ones", &[3, 2], &[1.0; 6]));
    nodes.push(node("mm", "MatMul", &["x23", "ones"], vec![("T", ty(F32)), ("transpose_a", bool_attr(false)), ("transpose_b", bool_attr(false))]));
    nodes.push(op("gt", "Greater", &["x", "z"]));
    nodes.push(op("eq", "Equal", &["x", "x"]));
    fetches.extend(["softmax", "mm", "gt", "eq"].map(String::from));
    let m = load(&bytes(nodes)).unwrap();
    let xt = Tensor::from_f32(vec![6], x.to_vec()).unwrap();
    let zt = Tensor::from_f32(vec![6], y.to_vec()).unwrap();
    let names: Vec<&str> = fetches.iter().map(|s| s.as_str()).collect();
    let out = m.run(&[("x", &xt), ("z", &zt)], &names).unwrap();
    let mut bad = Vec::new();
    let mut check = |name: &str, got: &Tensor, want: &[f32]| {
        let g = f32s(got);
        if !same(&g, want) {
            bad.push(format!("{name}: got {g:?}, TensorFlow gives {want:?}"));
        }
    };
    let mut k = 0;
    for (o, want) in unary.iter().chain(binary) {
        check(o, &out[k], want);
        k += 1;
    }
    for want in [NAN, NAN, NAN, NAN] {
        check(&fetches[k], &out[k], &[want]);
        k += 1;
    }
    let e = [1.0f32, -2.0, 0.0].map(f32::exp);
    let s: f32 = e.iter().sum();
    check("Softmax", &out[k], &[NAN, NAN, NAN, e[0] / s, e[1] / s, e[2] / s]);
    check("MatMul", &out[k + 1], &[NAN, NAN, -1.0, -1.0]);
    assert_eq!(out[k + 2].to_i64_vec().unwrap(), [0, 1, 0, 0, 0, 0], "Greater");
    assert_eq!(out[k + 3].to_i64_vec().unwrap(), [0, 1, 1, 1, 1, 1], "Equal (NaN != NaN)");
    assert!(bad.is_empty(), "NaN/Inf results differ from TensorFlow's:\n{}", bad.join("\n"));
    // Integer Max/Min reductions and Maximum share those kernels (T = i32): values whose bits
    // would be a float NaN are ordinary integers there.
    let g = bytes(vec![
        placeholder("i", I32, &[4]),
        const_i32("ax", &[1], &[0]),
        node("mx", "Max", &["i", "ax"], vec![("T", ty(I32)), ("Tidx", ty(I32)), ("keep_dims", bool_attr(false))]),
        node("mn", "Min", &["i", "ax"], vec![("T", ty(I32)), ("Tidx", ty(I32)), ("keep_dims", bool_attr(false))]),
        node("m2", "Maximum", &["i", "i"], vec![("T", ty(I32))]),
    ]);
    let m = load(&g).unwrap();
    let big = 0x7fc0_0001; // the bits of a float NaN
    let it = Tensor::from_i32(vec![4], vec![3, big, -big, 0]).unwrap();
    let out = m.run(&[("i", &it)], &["mx", "mn", "m2"]).unwrap();
    assert_eq!(out[0].to_i64_vec().unwrap(), [big as i64]);
    assert_eq!(out[1].to_i64_vec().unwrap(), [-big as i64]);
    assert_eq!(out[2].to_i64_vec().unwrap(), [3, big as i64, -big as i64, 0]);
    // A reduction without NaN keeps infinities.
    let g = bytes(vec![placeholder("x", F32, &[5]), const_i32("ax", &[1], &[0]),
        node("y", "Max", &["x", "ax"], vec![("T", ty(F32)), ("Tidx", ty(I32)), ("keep_dims", bool_attr(false))])]);
    let m = load(&g).unwrap();
    let y = m.run(&[("x", &Tensor::from_f32(vec![5], x[1..].to_vec()).unwrap())], &["y"]).unwrap();
    assert_eq!(f32s(&y[0]), [INF]);
}
