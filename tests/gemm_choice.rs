//! Every GEMM kernel a context may choose (`GemmChoice`: tiled, subgroup, large) gives the same
//! results: matrix products (transposes, batches, an einsum writing a strided output) and
//! convolutions (strides, dilations, padding, fused bias, residual and activation) with shapes
//! that are not multiples of any tile, against products computed here; the fixture cases of
//! matrix products and convolutions with the large kernel (the others run them in
//! tests/conformance.rs); row-for-row equality of batches under `batch_invariant`; and the
//! autotune's disk cache (a corrupt and a stale file ignored and rewritten, a valid one used).
//! No timing is asserted.
mod common;

use wgtf::graph::Graph;
use wgtf::proto::{attr_value::Value, tensor_shape_proto::Dim, GraphDef, NodeDef, TensorProto, TensorShapeProto};
use wgtf::kernel::codes::GemmMode;
use wgtf::{Context, ContextOptions, GemmChoice, GemmSetting, GemmSource, Model, Tensor};

use common::float_graph::*;

fn context(gemm: GemmSetting, batch_invariant: bool) -> Context {
    common::context();
    Context::new_with(ContextOptions { gemm: Some(gemm), batch_invariant, ..Default::default() }).unwrap()
}

/// The kernels the adapter runs (lavapipe: all three).
fn choices() -> Vec<GemmChoice> {
    wgtf::runtime::tune::candidates(&common::context())
}

/// A test: a graph, its feeds, and the expected output "out".
struct Case {
    name: String,
    nodes: Vec<NodeDef>,
    feeds: Vec<(&'static str, Tensor)>,
    want: Vec<f64>,
}

/// The output, and the shader files of the plan's kernels.
fn run_with_kernels(ctx: &Context, c: &Case) -> (Vec<f32>, Vec<String>) {
    let graph = Graph::from_graph_def(GraphDef { node: c.nodes.clone(), ..Default::default() }, None).unwrap();
    let model = Model::from_graph(ctx, graph).unwrap_or_else(|e| panic!("{}: {e}", c.name));
    let feeds: Vec<(&str, &Tensor)> = c.feeds.iter().map(|(n, t)| (*n, t)).collect();
    let out = model.run(&feeds, &["out"]).unwrap_or_else(|e| panic!("{}: {e}", c.name)).remove(0).to_f32_vec().unwrap();
    let kernels = model.plan_for(&feeds, &["out"]).unwrap().kernels.into_iter().map(|k| k.2).collect();
    (out, kernels)
}

fn run(ctx: &Context, c: &Case) -> Vec<f32> {
    run_with_kernels(ctx, c).0
}

/// A(m, k) of a stored matrix, transposed or not.
fn at(x: &[f32], rows: usize, cols: usize, t: bool, i: usize, j: usize) -> f64 {
    (if t { x[j * rows + i] } else { x[i * cols + j] }) as f64
}

/// out = A·B (+ bias, relu) with A [M,K] (stored [K,M] when ta), B [K,N] (stored [N,K] when tb).
fn matmul(m: usize, k: usize, n: usize, ta: bool, tb: bool, bias_relu: bool) -> Case {
    let (a, b) = (values(m * k, 1), values(k * n, 2));
    let bias = values(n, 3);
    let mut want = vec![0f64; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s: f64 = (0..k).map(|q| at(&a, m, k, ta, i, q) * at(&b, k, n, tb, q, j)).sum();
            if bias_relu {
                s = (s + bias[j] as f64).max(0.0);
            }
            want[i * n + j] = s;
        }
    }
    let flags = vec![("transpose_a", Value::B(ta)), ("transpose_b", Value::B(tb))];
    let mut nodes = vec![placeholder("a"), placeholder("b")];
    if bias_relu {
        nodes.push(node("mm", "MatMul", &["a", "b"], flags));
        nodes.push(constant("bias", &[n], &bias));
        nodes.push(node("ba", "BiasAdd", &["mm", "bias"], vec![]));
        nodes.push(node("out", "Relu", &["ba"], vec![]));
    } else {
        nodes.push(node("out", "MatMul", &["a", "b"], flags));
    }
    let sa = if ta { vec![k, m] } else { vec![m, k] };
    let sb = if tb { vec![n, k] } else { vec![k, n] };
    Case {
        name: format!("matmul {m}x{k}x{n} ta={ta} tb={tb} bias_relu={bias_relu}"),
        nodes,
        feeds: vec![("a", Tensor::from_f32(sa, a).unwrap()), ("b", Tensor::from_f32(sb, b).unwrap())],
        want,
    }
}

/// out[b] = A[b]·B[b] (B stored transposed when adj_y).
fn batch_matmul(batch: usize, m: usize, k: usize, n: usize, adj_y: bool) -> Case {
    let (a, b) = (values(batch * m * k, 4), values(batch * k * n, 5));
    let mut want = vec![0f64; batch * m * n];
    for z in 0..batch {
        for i in 0..m {
            for j in 0..n {
                want[(z * m + i) * n + j] = (0..k).map(|q| at(&a[z * m * k..], m, k, false, i, q) * at(&b[z * k * n..], k, n, adj_y, q, j)).sum();
            }
        }
    }
    let sb = if adj_y { vec![batch, n, k] } else { vec![batch, k, n] };
    Case {
        name: format!("batch matmul {batch}x{m}x{k}x{n} adj_y={adj_y}"),
        nodes: vec![placeholder("a"), placeholder("b"), node("out", "BatchMatMulV2", &["a", "b"], vec![("adj_x", Value::B(false)), ("adj_y", Value::B(adj_y))])],
        feeds: vec![("a", Tensor::from_f32(vec![batch, m, k], a).unwrap()), ("b", Tensor::from_f32(sb, b).unwrap())],
        want,
    }
}

/// 'bij,bjk->ibk': the product written in another order than [batch, M, N].
fn einsum(batch: usize, m: usize, k: usize, n: usize) -> Case {
    let (a, b) = (values(batch * m * k, 6), values(batch * k * n, 7));
    let mut want = vec![0f64; batch * m * n];
    for z in 0..batch {
        for i in 0..m {
            for j in 0..n {
                want[(i * batch + z) * n + j] = (0..k).map(|q| a[(z * m + i) * k + q] as f64 * b[(z * k + q) * n + j] as f64).sum();
            }
        }
    }
    Case {
        name: format!("einsum bij,bjk->ibk {batch}x{m}x{k}x{n}"),
        nodes: vec![placeholder("a"), placeholder("b"), node("out", "Einsum", &["a", "b"], vec![("equation", Value::S(b"bij,bjk->ibk".to_vec())), ("N", Value::I(2))])],
        feeds: vec![("a", Tensor::from_f32(vec![batch, m, k], a).unwrap()), ("b", Tensor::from_f32(vec![batch, k, n], b).unwrap())],
        want,
    }
}

/// A convolution geometry: image [n, h, w, ic], a k×k filter to oc channels.
#[derive(Clone, Copy)]
struct Conv {
    n: usize,
    h: usize,
    w: usize,
    ic: usize,
    oc: usize,
    k: usize,
    stride: usize,
    dilation: usize,
    same: bool,
}

/// Conv2D (+ bias, + a residual input, relu6 when `fused`).
fn conv(g: Conv, fused: bool) -> Case {
    let Conv { n, h, w, ic, oc, k, stride: s, dilation: d, same } = g;
    let span = (k - 1) * d + 1;
    let out = |x: usize| if same { x.div_ceil(s) } else { (x - span) / s + 1 };
    let (oh, ow) = (out(h), out(w));
    let pad = |x: usize, o: usize| if same { ((o - 1) * s + span).saturating_sub(x) / 2 } else { 0 };
    let (pt, pl) = (pad(h, oh), pad(w, ow));
    let (x, f, bias, res) = (values(n * h * w * ic, 8), values(k * k * ic * oc, 9), values(oc, 10), values(n * oh * ow * oc, 11));
    let mut want = vec![0f64; n * oh * ow * oc];
    for b in 0..n {
        for oy in 0..oh {
            for ox in 0..ow {
                for o in 0..oc {
                    let mut acc = 0f64;
                    for ky in 0..k {
                        for kx in 0..k {
                            let iy = (oy * s + ky * d) as isize - pt as isize;
                            let ix = (ox * s + kx * d) as isize - pl as isize;
                            if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                continue;
                            }
                            for c in 0..ic {
                                acc += x[((b * h + iy as usize) * w + ix as usize) * ic + c] as f64 * f[((ky * k + kx) * ic + c) * oc + o] as f64;
                            }
                        }
                    }
                    let i = ((b * oh + oy) * ow + ox) * oc + o;
                    want[i] = if fused { (acc + bias[o] as f64 + res[i] as f64).clamp(0.0, 6.0) } else { acc };
                }
            }
        }
    }
    let attrs = vec![
        ("strides", ints(&[1, s as i64, s as i64, 1])),
        ("dilations", ints(&[1, d as i64, d as i64, 1])),
        ("padding", Value::S(if same { b"SAME".to_vec() } else { b"VALID".to_vec() })),
        ("data_format", Value::S(b"NHWC".to_vec())),
    ];
    let mut nodes = vec![placeholder("x"), constant("f", &[k, k, ic, oc], &f)];
    let mut feeds = vec![("x", Tensor::from_f32(vec![n, h, w, ic], x).unwrap())];
    if fused {
        nodes.push(node("conv", "Conv2D", &["x", "f"], attrs));
        nodes.push(constant("bias", &[oc], &bias));
        nodes.push(node("ba", "BiasAdd", &["conv", "bias"], vec![]));
        nodes.push(placeholder("res"));
        nodes.push(node("add", "AddV2", &["ba", "res"], vec![]));
        nodes.push(node("out", "Relu6", &["add"], vec![]));
        feeds.push(("res", Tensor::from_f32(vec![n, oh, ow, oc], res).unwrap()));
    } else {
        nodes.push(node("out", "Conv2D", &["x", "f"], attrs));
    }
    Case { name: format!("conv {n}x{h}x{w}x{ic} -> {oc}, {k}x{k} stride {s} dilation {d} same={same} fused={fused}"), nodes, feeds, want }
}

/// Conv2DBackpropInput (VALID) of x [n, h, w, ic] with a filter [k, k, oc, ic]: the output
/// [n, (h-1)s + (k-1)d + 1, …, oc], computed by scattering each input pixel through the taps
/// (the kernels gather instead).
fn conv_transpose(n: usize, h: usize, w: usize, ic: usize, oc: usize, k: usize, s: usize, d: usize) -> Case {
    let (x, f) = (values(n * h * w * ic, 7), values(k * k * oc * ic, 8));
    let (oh, ow) = ((h - 1) * s + (k - 1) * d + 1, (w - 1) * s + (k - 1) * d + 1);
    let mut want = vec![0f64; n * oh * ow * oc];
    for b in 0..n {
        for iy in 0..h {
            for ix in 0..w {
                for ky in 0..k {
                    for kx in 0..k {
                        let (oy, ox) = (iy * s + ky * d, ix * s + kx * d);
                        for o in 0..oc {
                            let acc: f64 = (0..ic).map(|c| x[((b * h + iy) * w + ix) * ic + c] as f64 * f[((ky * k + kx) * oc + o) * ic + c] as f64).sum();
                            want[((b * oh + oy) * ow + ox) * oc + o] += acc;
                        }
                    }
                }
            }
        }
    }
    let sizes = TensorProto {
        dtype: wgtf::proto::DataType::DtInt32 as i32,
        tensor_shape: Some(TensorShapeProto { dim: vec![Dim { size: 4, ..Default::default() }], ..Default::default() }),
        int_val: vec![n as i32, oh as i32, ow as i32, oc as i32],
        ..Default::default()
    };
    let attrs = vec![
        ("strides", ints(&[1, s as i64, s as i64, 1])),
        ("dilations", ints(&[1, d as i64, d as i64, 1])),
        ("padding", Value::S(b"VALID".to_vec())),
        ("data_format", Value::S(b"NHWC".to_vec())),
    ];
    let nodes = vec![
        placeholder("x"),
        constant("f", &[k, k, oc, ic], &f),
        node("sizes", "Const", &[], vec![("dtype", Value::Type(wgtf::proto::DataType::DtInt32 as i32)), ("value", Value::Tensor(sizes))]),
        node("out", "Conv2DBackpropInput", &["sizes", "f", "x"], attrs),
    ];
    let feeds = vec![("x", Tensor::from_f32(vec![n, h, w, ic], x).unwrap())];
    Case { name: format!("conv_transpose {n}x{h}x{w}x{ic} -> {oc}, {k}x{k} stride {s} dilation {d}"), nodes, feeds, want }
}

fn cases() -> Vec<Case> {
    let c = |n, h, w, ic, oc, k, stride, dilation, same| Conv { n, h, w, ic, oc, k, stride, dilation, same };
    vec![
        matmul(200, 70, 130, false, false, false),
        matmul(260, 64, 132, false, false, true),
        matmul(150, 33, 97, true, false, false),
        matmul(129, 40, 65, false, true, false),
        matmul(70, 24, 200, true, true, true),
        matmul(3, 50, 70, false, false, false),
        batch_matmul(3, 150, 36, 68, false),
        batch_matmul(2, 100, 20, 44, true),
        einsum(2, 100, 30, 70),
        conv(c(1, 20, 20, 8, 12, 3, 1, 1, true), true),
        conv(c(2, 17, 15, 3, 10, 3, 2, 1, true), false),
        conv(c(1, 24, 24, 4, 16, 3, 1, 2, false), false),
        conv(c(1, 19, 21, 16, 20, 5, 2, 1, false), true),
        conv(c(1, 12, 12, 8, 132, 1, 1, 1, true), true),
        conv_transpose(2, 9, 11, 24, 20, 3, 2, 1),
        conv_transpose(1, 7, 6, 5, 17, 2, 3, 2),
    ]
}

fn check(got: &[f32], c: &Case, who: &str) {
    assert_eq!(got.len(), c.want.len(), "{who}: {}", c.name);
    for (i, (&g, &w)) in got.iter().zip(&c.want).enumerate() {
        assert!((g as f64 - w).abs() <= 1e-3 + 1e-4 * w.abs(), "{who}: {}: element {i}: got {g}, want {w}", c.name);
    }
}

#[test]
fn every_kernel_computes_products_and_convolutions_alike() {
    let cases = cases();
    for choice in choices() {
        let ctx = context(GemmSetting::Force(choice), false);
        assert_eq!(ctx.target().gemm, choice);
        assert_eq!(ctx.gemm().source, GemmSource::Option);
        for c in &cases {
            let (out, kernels) = run_with_kernels(&ctx, c);
            check(&out, c, choice.name());
            // The chosen kernel computes the product (the large one: more than 64 rows).
            let file = match choice {
                GemmChoice::Tiled => "linalg/gemm.wgsl",
                GemmChoice::Subgroup => "linalg/gemm_subgroup.wgsl",
                GemmChoice::Large => "linalg/gemm_large.wgsl",
            };
            // Where a kernel leaves a product to the tiled one: a few rows (large), a strided
            // output or a transposed convolution (subgroup).
            if choice == GemmChoice::Large && c.name.starts_with("conv_transpose") {
                let mode = format!("MODE={}", GemmMode::Conv2dTranspose.code());
                assert!(kernels.iter().any(|k| k.starts_with(file) && k.contains(&mode)), "{}: kernels {kernels:?}", c.name);
            }
            let tiled = c.name.starts_with("matmul 3x") || (choice == GemmChoice::Subgroup && (c.name.starts_with("einsum") || c.name.starts_with("conv_transpose")));
            assert!(tiled || kernels.iter().any(|k| k.starts_with(file)), "{choice}: {}: kernels {kernels:?}", c.name);
        }
    }
}

/// The fixture cases of matrix products and convolutions with the large kernel (the suite runs
/// every case with the subgroup and the tiled kernels in tests/conformance.rs).
#[test]
fn large_kernel_passes_the_product_fixtures() {
    let ctx = context(GemmSetting::Force(GemmChoice::Large), false);
    assert_eq!(ctx.target().gemm, GemmChoice::Large);
    let names = [
        "matmul_basic", "matmul_large", "batch_matmul", "einsum_equations", "mlp", "fused_ops", "tfjs_fused_ops", "conv2d_big", "conv2d_dilated",
        "conv2d_explicit_pad", "conv2d_odd", "conv2d_same", "conv2d_valid_stride", "conv2d_transpose", "small_cnn", "mobilenet_block",
    ];
    for name in names {
        let case = common::load_case(&common::fixtures_dir().join(name));
        if let Err(e) = common::run_case(&ctx, &case) {
            panic!("{name} with the large kernel: {e}");
        }
    }
}

/// Every convolution the implicit GEMM computes (2-D and 3-D, transposed or not) runs on the
/// large kernel where it is chosen: the fixtures under batch invariance (so that the large kernel
/// takes their few rows too), with the kernel checked in each plan.
#[test]
fn large_kernel_computes_every_convolution_mode() {
    let ctx = context(GemmSetting::Force(GemmChoice::Large), true);
    let names = ["conv2d_same", "conv2d_dilated", "conv2d_transpose", "conv2d_transpose_more", "conv3d_pool3d", "conv3d_transpose", "small_cnn"];
    let mut modes = std::collections::BTreeSet::new();
    for name in names {
        let case = common::load_case(&common::fixtures_dir().join(name));
        if let Err(e) = common::run_case(&ctx, &case) {
            panic!("{name} with the large kernel: {e}");
        }
        let model = ctx.load(&case.model).unwrap();
        let feeds: Vec<(String, Tensor)> = case.feeds.iter().map(|(n, p)| (n.clone(), Tensor::read_npy(p).unwrap())).collect();
        let f: Vec<(&str, &Tensor)> = feeds.iter().map(|(n, t)| (n.as_str(), t)).collect();
        let fetches: Vec<&str> = case.fetches.iter().map(|(n, ..)| n.as_str()).collect();
        let kernels: Vec<String> = model.plan_for(&f, &fetches).unwrap().kernels.into_iter().map(|k| k.2).collect();
        assert!(!kernels.iter().any(|k| k.starts_with("linalg/gemm.wgsl")), "{name} left a product to the tiled kernel: {kernels:?}");
        for k in kernels.iter().filter(|k| k.starts_with("linalg/gemm_large.wgsl")) {
            let mode = k.split(['[', ',', ']']).find_map(|p| p.strip_prefix("MODE=")).unwrap();
            modes.insert(mode.parse::<u32>().unwrap());
        }
    }
    // (The fixtures' transposed 2-D convolutions have few output channels, which a direct kernel
    // computes: `conv_transpose` cases above run Conv2dTranspose on every kernel.)
    let all: std::collections::BTreeSet<u32> = [GemmMode::Matmul, GemmMode::Conv2d, GemmMode::Conv3d, GemmMode::Conv3dTranspose].iter().map(|m| m.code()).collect();
    assert_eq!(modes, all, "the fixtures ran these modes of the large kernel");
}

/// With `batch_invariant`, each row of a batch equals, bit for bit, the row run alone, whatever
/// the kernel (the large one then computes a few rows too, rather than leave them to another).
#[test]
fn batch_invariant_rows_with_every_kernel() {
    for choice in choices() {
        let ctx = context(GemmSetting::Force(choice), true);
        let many = matmul(200, 72, 68, false, false, true);
        // The same sequence of values: A's first row and the same B.
        let one = matmul(1, 72, 68, false, false, true);
        let (rows, row) = (run(&ctx, &many), run(&ctx, &one));
        assert_eq!(&rows[..68], &row[..], "{choice}: row 0 of 200 differs from the row alone");
    }
}

#[test]
fn settings_parse() {
    assert_eq!(GemmSetting::parse("auto").unwrap(), GemmSetting::Auto);
    assert_eq!(GemmSetting::parse("Rule").unwrap(), GemmSetting::Rule);
    assert_eq!(GemmSetting::parse("tune").unwrap(), GemmSetting::Tune);
    for c in GemmChoice::ALL {
        assert_eq!(GemmSetting::parse(c.name()).unwrap(), GemmSetting::Force(c));
        assert_eq!(GemmChoice::parse(&c.to_string()), Some(c));
    }
    let e = GemmSetting::parse("huge").unwrap_err().to_string();
    assert!(e.contains("WGTF_GEMM=huge") && e.contains("tiled"), "{e}");
}

/// The autotune's cache in a directory of its own: a corrupt file and a stale entry are ignored,
/// tuned again and rewritten with this adapter's key; a valid entry is used without tuning.
#[test]
fn autotune_cache_corrupt_stale_and_valid() {
    use wgtf::runtime::tune::{cache_file, load_cached, lookup, store, Cached, CacheKey, Lookup};
    let dir = std::env::temp_dir().join(format!("wgtf-gemm-cache-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = cache_file(&dir);
    let tune = || Context::new_with(ContextOptions { gemm: Some(GemmSetting::Tune), gemm_cache: Some(dir.clone()), ..Default::default() }).unwrap();
    let key = CacheKey::of(common::context().adapter_info());
    // Corrupt: ignored (noted), tuned, rewritten.
    std::fs::write(&path, b"\x00 not json").unwrap();
    let ctx = tune();
    let d = ctx.gemm().clone();
    assert_eq!(d.source, GemmSource::Autotune, "{d:?}");
    assert!(d.notes.iter().any(|n| n.contains("ignored the cache")), "{d:?}");
    assert_eq!(d.scores.len(), choices().len());
    assert_eq!(load_cached(&path, &key).map(|c| c.gemm), Some(d.choice));
    // Valid: used as it is, without timing (a choice the autotune did not make, to tell).
    let other = choices().into_iter().find(|c| *c != d.choice).unwrap();
    let pick = Cached { gemm: other, depthwise: wgtf::DepthwiseChoice::Cols4 };
    store(&path, &key, pick, &[], &[]).unwrap();
    let ctx = tune();
    assert_eq!((ctx.gemm().choice, ctx.gemm().source), (other, GemmSource::Cache));
    assert_eq!(ctx.target().gemm, other);
    // Stale (another wgtf version): ignored, tuned again, replaced by this version's entry.
    let old = CacheKey { version: "0.0.0-old".into(), ..key.clone() };
    std::fs::remove_file(&path).unwrap();
    store(&path, &old, pick, &[], &[]).unwrap();
    assert!(matches!(lookup(&path, &key), Lookup::Stale(_)));
    let ctx = tune();
    let d = ctx.gemm();
    assert_eq!(d.source, GemmSource::Autotune);
    assert!(d.notes.iter().any(|n| n.contains("stale")), "{d:?}");
    assert_eq!(load_cached(&path, &key).map(|c| c.gemm), Some(d.choice));
    assert!(matches!(lookup(&path, &old), Lookup::Stale(_)));
    let _ = std::fs::remove_dir_all(&dir);
}
