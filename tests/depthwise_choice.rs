//! Every depthwise form a context may choose (`DepthwiseChoice`: cols4, cols1) gives the same
//! results: depthwise convolutions of multiplier 1 and channels in fours (MobileNet-like shapes,
//! strides 1, 2 and 3, dilation, SAME and VALID padding, odd widths, a batch, 5×5 taps, a fused
//! bias, residual and Relu6) in f32 and f16 against convolutions computed here; the forced form
//! is the one the plan runs; the choice in the autotune's disk cache (round trip, a format-1 file
//! stale and rewritten); and `WGTF_DEPTHWISE=tune` autotuning on any adapter (it picks one of
//! the candidates: no timing is asserted).
mod common;

use wgtf::graph::Graph;
use wgtf::proto::{attr_value::Value, GraphDef, NodeDef};
use wgtf::runtime::tune::{cache_file, load_cached, lookup, store, Cached, CacheKey, Lookup};
use wgtf::{Context, ContextOptions, DepthwiseChoice, DepthwiseSetting, GemmSetting, Model, Precision, Source, Tensor};

use common::float_graph::*;

fn context(depthwise: DepthwiseSetting) -> Context {
    common::context();
    Context::new_with(ContextOptions { depthwise: Some(depthwise), ..common::options() }).unwrap()
}

/// A depthwise convolution of multiplier 1: [n, h, w, c] by a k×k window.
#[derive(Clone, Copy)]
struct Dw {
    n: usize,
    h: usize,
    w: usize,
    c: usize,
    k: usize,
    stride: usize,
    dilation: usize,
    same: bool,
    /// A fused bias, residual add and Relu6.
    fused: bool,
}

struct Case {
    name: String,
    nodes: Vec<NodeDef>,
    feeds: Vec<(&'static str, Tensor)>,
    want: Vec<f64>,
}

fn case(g: Dw) -> Case {
    let Dw { n, h, w, c, k, stride: s, dilation: d, same, fused } = g;
    let span = (k - 1) * d + 1;
    let out = |x: usize| if same { x.div_ceil(s) } else { (x - span) / s + 1 };
    let (oh, ow) = (out(h), out(w));
    let pad = |x: usize, o: usize| if same { ((o - 1) * s + span).saturating_sub(x) / 2 } else { 0 };
    let (pt, pl) = (pad(h, oh), pad(w, ow));
    let (x, f, bias, res) = (values(n * h * w * c, 1), values(k * k * c, 2), values(c, 3), values(n * oh * ow * c, 4));
    let mut want = vec![0f64; n * oh * ow * c];
    for b in 0..n {
        for oy in 0..oh {
            for ox in 0..ow {
                for ch in 0..c {
                    let mut acc = 0f64;
                    for ky in 0..k {
                        for kx in 0..k {
                            let iy = (oy * s + ky * d) as isize - pt as isize;
                            let ix = (ox * s + kx * d) as isize - pl as isize;
                            if iy >= 0 && ix >= 0 && iy < h as isize && ix < w as isize {
                                acc += x[((b * h + iy as usize) * w + ix as usize) * c + ch] as f64 * f[(ky * k + kx) * c + ch] as f64;
                            }
                        }
                    }
                    let i = ((b * oh + oy) * ow + ox) * c + ch;
                    want[i] = if fused { (acc + bias[ch] as f64 + res[i] as f64).clamp(0.0, 6.0) } else { acc };
                }
            }
        }
    }
    let mut attrs = vec![
        ("strides", ints(&[1, s as i64, s as i64, 1])),
        ("dilations", ints(&[1, d as i64, d as i64, 1])),
        ("padding", Value::S(if same { b"SAME".to_vec() } else { b"VALID".to_vec() })),
        ("data_format", Value::S(b"NHWC".to_vec())),
    ];
    let mut nodes = vec![placeholder("x"), constant("f", &[k, k, c, 1], &f)];
    let mut feeds = vec![("x", Tensor::from_f32(vec![n, h, w, c], x).unwrap())];
    if fused {
        attrs.push(("fused_ops", strings(&["BiasAdd", "AddV2", "Relu6"])));
        attrs.push(("num_args", Value::I(2)));
        nodes.push(constant("bias", &[c], &bias));
        nodes.push(placeholder("res"));
        nodes.push(node("out", "_FusedDepthwiseConv2dNative", &["x", "f", "bias", "res"], attrs));
        feeds.push(("res", Tensor::from_f32(vec![n, oh, ow, c], res).unwrap()));
    } else {
        nodes.push(node("out", "DepthwiseConv2dNative", &["x", "f"], attrs));
    }
    Case { name: format!("depthwise {n}x{h}x{w}x{c} {k}x{k} stride {s} dilation {d} same={same} fused={fused}"), nodes, feeds, want }
}

fn cases() -> Vec<Case> {
    let d = |n, h, w, c, k, stride, dilation, same, fused| case(Dw { n, h, w, c, k, stride, dilation, same, fused });
    vec![
        // MobileNetV2's expanded blocks (the autotune's GPU shapes).
        d(1, 112, 112, 96, 3, 1, 1, true, true),
        d(1, 56, 56, 144, 3, 2, 1, true, true),
        d(2, 9, 13, 8, 3, 1, 1, true, true),
        d(1, 11, 15, 12, 3, 2, 1, false, false),
        d(1, 10, 17, 8, 3, 1, 2, true, true),
        d(1, 9, 11, 4, 5, 2, 1, true, false),
        d(1, 13, 13, 8, 3, 3, 1, false, true),
        d(1, 7, 5, 4, 3, 2, 1, true, false),
    ]
}

/// The output, and the shader variants of the plan's kernels.
fn run(ctx: &Context, c: &Case, precision: Precision) -> (Vec<f32>, Vec<String>) {
    let graph = Graph::from_graph_def(GraphDef { node: c.nodes.clone(), ..Default::default() }, None).unwrap();
    let model = Model::from_graph_with(ctx, graph, precision).unwrap_or_else(|e| panic!("{}: {e}", c.name));
    let feeds: Vec<(&str, &Tensor)> = c.feeds.iter().map(|(n, t)| (*n, t)).collect();
    let out = model.run(&feeds, &["out"]).unwrap_or_else(|e| panic!("{}: {e}", c.name)).remove(0).to_f32_vec().unwrap();
    let kernels = model.plan_for(&feeds, &["out"]).unwrap().kernels.into_iter().map(|k| k.2).collect();
    (out, kernels)
}

fn check(got: &[f32], c: &Case, who: &str, tol: f64) {
    assert_eq!(got.len(), c.want.len(), "{who}: {}", c.name);
    for (i, (&g, &w)) in got.iter().zip(&c.want).enumerate() {
        assert!((g as f64 - w).abs() <= tol * (1.0 + w.abs()), "{who}: {}: element {i}: got {g}, want {w}", c.name);
    }
}

/// The adapter's f16 support (`shader-f16`).
fn has_f16() -> bool {
    common::context().device().features().contains(wgpu::Features::SHADER_F16)
}

#[test]
fn every_form_computes_depthwise_alike() {
    let cases = cases();
    let mut precisions = vec![(Precision::F32, 1e-4)];
    if has_f16() {
        precisions.push((Precision::F16, 2e-2));
    }
    let mut first: Vec<Vec<f32>> = Vec::new();
    for choice in DepthwiseChoice::ALL {
        let ctx = context(DepthwiseSetting::Force(choice));
        assert_eq!((ctx.target().depthwise, ctx.depthwise().source), (choice, Source::Option));
        for &(precision, tol) in &precisions {
            for (i, c) in cases.iter().enumerate() {
                let (out, kernels) = run(&ctx, c, precision);
                let who = format!("{choice} {precision:?}");
                check(&out, c, &who, tol);
                // The forced form computes it, with the epilogue fused.
                let k: Vec<&String> = kernels.iter().filter(|k| k.starts_with("nn/depthwise_vec4.wgsl")).collect();
                assert_eq!(k.len(), 1, "{who}: {}: kernels {kernels:?}", c.name);
                assert_eq!(k[0].contains("COLS=1"), choice == DepthwiseChoice::Cols1, "{who}: {}: {}", c.name, k[0]);
                assert_eq!(k[0].contains("HAS_RES=1"), c.name.contains("fused=true"), "{who}: {}: {}", c.name, k[0]);
                // Both forms sum the taps in the same order.
                if precision == Precision::F32 {
                    match first.get(i) {
                        None => first.push(out),
                        Some(f) => {
                            let far = out.iter().zip(f).position(|(a, b)| (a - b).abs() > 1e-6 * (1.0 + b.abs()));
                            assert_eq!(far, None, "{who}: {}: differs from cols4", c.name);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn settings_parse() {
    assert_eq!(DepthwiseSetting::parse("auto").unwrap(), DepthwiseSetting::Auto);
    assert_eq!(DepthwiseSetting::parse("Rule").unwrap(), DepthwiseSetting::Rule);
    assert_eq!(DepthwiseSetting::parse("tune").unwrap(), DepthwiseSetting::Tune);
    for c in DepthwiseChoice::ALL {
        assert_eq!(DepthwiseSetting::parse(c.name()).unwrap(), DepthwiseSetting::Force(c));
        assert_eq!(DepthwiseChoice::parse(&c.to_string()), Some(c));
    }
    let e = DepthwiseSetting::parse("cols9").unwrap_err().to_string();
    assert!(e.contains("WGTF_DEPTHWISE=cols9") && e.contains("cols4") && e.contains("cols1"), "{e}");
    // The default on CPU adapters (and by rule): the 4-column form.
    let ctx = context(DepthwiseSetting::Rule);
    assert_eq!((ctx.depthwise().choice, ctx.depthwise().source), (DepthwiseChoice::Cols4, Source::Rule));
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wgtf-depthwise-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `WGTF_DEPTHWISE=tune` (the option here) autotunes on any adapter, lavapipe included: the
/// choice is one of the candidates, scored, and cached with the GEMM kernel; the GEMM kernel
/// stays as its own setting says. A cached choice is then used without timing.
#[test]
fn tune_picks_a_candidate_and_the_cache_round_trips() {
    let dir = temp_dir("tune");
    let path = cache_file(&dir);
    let ctx = |gemm| Context::new_with(ContextOptions { gemm: Some(gemm), depthwise: Some(DepthwiseSetting::Tune), gemm_cache: Some(dir.clone()), ..Default::default() }).unwrap();
    let c = ctx(GemmSetting::Rule);
    let d = c.depthwise().clone();
    assert_eq!(d.source, Source::Autotune, "{d:?}");
    assert!(DepthwiseChoice::ALL.contains(&d.choice));
    assert_eq!(d.scores.iter().map(|s| s.0).collect::<Vec<_>>(), DepthwiseChoice::ALL.to_vec(), "{d:?}");
    assert!(d.scores.iter().all(|s| s.1.is_finite() && s.1 >= 1.0), "{d:?}");
    assert_eq!(c.gemm().source, Source::Rule);
    assert_eq!(c.target().depthwise, d.choice);
    let key = CacheKey::of(c.adapter_info());
    let cached = load_cached(&path, &key).unwrap();
    assert_eq!(cached.depthwise, d.choice);
    // Round trip: the other form stored, read back, and used as it is.
    let other = DepthwiseChoice::ALL.into_iter().find(|x| *x != d.choice).unwrap();
    store(&path, &key, Cached { depthwise: other, ..cached }, &[], &[]).unwrap();
    assert_eq!(load_cached(&path, &key), Some(Cached { depthwise: other, ..cached }));
    let c = ctx(GemmSetting::Tune);
    assert_eq!((c.depthwise().choice, c.depthwise().source), (other, Source::Cache));
    assert_eq!((c.gemm().choice, c.gemm().source), (cached.gemm, Source::Cache));
    assert_eq!(c.target().depthwise, other);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A cache file of format 1 (GEMM kernels only, before the depthwise choice) is stale: tuned
/// again, and rewritten in this format with both choices.
#[test]
fn old_format_cache_is_stale_and_rebuilt() {
    let dir = temp_dir("format");
    let path = cache_file(&dir);
    let key = CacheKey::of(common::context().adapter_info());
    let old = format!(r#"{{"entries":[{{"key":{},"gemm":"tiled","scores":[]}}]}}"#, serde_json::to_string(&key).unwrap());
    std::fs::write(&path, old).unwrap();
    assert!(matches!(lookup(&path, &key), Lookup::Stale(why) if why.contains("format")));
    let c = Context::new_with(ContextOptions { gemm: Some(GemmSetting::Rule), depthwise: Some(DepthwiseSetting::Tune), gemm_cache: Some(dir.clone()), ..Default::default() }).unwrap();
    let d = c.depthwise();
    assert_eq!(d.source, Source::Autotune);
    assert!(d.notes.iter().any(|n| n.contains("stale")), "{d:?}");
    assert_eq!(load_cached(&path, &key).map(|x| x.depthwise), Some(d.choice));
    // A corrupt file: ignored, tuned, rewritten.
    std::fs::write(&path, b"\x00 not json").unwrap();
    let c = Context::new_with(ContextOptions { depthwise: Some(DepthwiseSetting::Tune), gemm_cache: Some(dir.clone()), ..Default::default() }).unwrap();
    let d = c.depthwise();
    assert_eq!(d.source, Source::Autotune);
    assert!(d.notes.iter().any(|n| n.contains("ignored the cache")), "{d:?}");
    assert_eq!(load_cached(&path, &key).map(|x| x.depthwise), Some(d.choice));
    let _ = std::fs::remove_dir_all(&dir);
}
