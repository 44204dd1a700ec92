//! Pools whose window is the whole image: an invocation per output would loop over all of it
use super::*;
use super::matmul::{check_matmul, conv_host};
use super::reduce::{check_close, reduce_host};


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
