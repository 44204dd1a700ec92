//! Many models on one GPU (issue 5): copies of one architecture with different weights plus a
//! different model, run from many threads in random interleavings, never mix; dropping a model
//! releases its GPU memory; a second copy of an architecture compiles no new pipeline.
mod common;

use std::sync::Arc;

use prost::Message;
use wgtf::proto::{attr_value, tensor_shape_proto::Dim, AttrValue, GraphDef, NodeDef, TensorProto, TensorShapeProto};
use wgtf::{Context, LoadOptions, Model, Tensor};

/// A tiny deterministic generator (no extra crate for a few lines).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    fn vec(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.next()).collect()
    }
}

fn attr(v: attr_value::Value) -> AttrValue {
    AttrValue { value: Some(v) }
}
fn shape(d: &[i64]) -> TensorShapeProto {
    TensorShapeProto { dim: d.iter().map(|&size| Dim { size, name: String::new() }).collect(), unknown_rank: false }
}
fn node(name: &str, op: &str, inputs: &[&str], attrs: Vec<(&str, AttrValue)>) -> NodeDef {
    NodeDef {
        name: name.into(),
        op: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        device: String::new(),
        attr: attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    }
}
fn constant(name: &str, dims: &[i64], v: &[f32]) -> NodeDef {
    let t = TensorProto {
        dtype: 1,
        tensor_shape: Some(shape(dims)),
        tensor_content: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ..Default::default()
    };
    node(name, "Const", &[], vec![("value", attr(attr_value::Value::Tensor(t))), ("dtype", attr(attr_value::Value::Type(1)))])
}

/// x[?, 8] → Relu(x·W1 + b1)[16] → ·W2 + b2 [4], with weights from `seed`.
struct Mlp {
    w1: Vec<f32>,
    b1: Vec<f32>,
    w2: Vec<f32>,
    b2: Vec<f32>,
}

impl Mlp {
    fn new(seed: u64) -> Mlp {
        let mut r = Rng(seed * 7919 + 13);
        Mlp { w1: r.vec(8 * 16), b1: r.vec(16), w2: r.vec(16 * 4), b2: r.vec(4) }
    }
    fn graph_def(&self) -> Vec<u8> {
        let f32t = || ("T", attr(attr_value::Value::Type(1)));
        GraphDef {
            node: vec![
                node("x", "Placeholder", &[], vec![("dtype", attr(attr_value::Value::Type(1))), ("shape", attr(attr_value::Value::Shape(shape(&[-1, 8]))))]),
                constant("w1", &[8, 16], &self.w1),
                constant("b1", &[16], &self.b1),
                constant("w2", &[16, 4], &self.w2),
                constant("b2", &[4], &self.b2),
                node("mm1", "MatMul", &["x", "w1"], vec![f32t()]),
                node("h", "BiasAdd", &["mm1", "b1"], vec![f32t()]),
                node("r", "Relu", &["h"], vec![f32t()]),
                node("mm2", "MatMul", &["r", "w2"], vec![f32t()]),
                node("y", "BiasAdd", &["mm2", "b2"], vec![f32t()]),
            ],
            ..Default::default()
        }
        .encode_to_vec()
    }
    fn reference(&self, x: &[f32], batch: usize) -> Vec<f32> {
        let mut out = Vec::new();
        for b in 0..batch {
            let h: Vec<f32> = (0..16)
                .map(|j| ((0..8).map(|i| x[b * 8 + i] * self.w1[i * 16 + j]).sum::<f32>() + self.b1[j]).max(0.0))
                .collect();
            out.extend((0..4).map(|k| (0..16).map(|j| h[j] * self.w2[j * 4 + k]).sum::<f32>() + self.b2[k]));
        }
        out
    }
}

fn close(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| approx::relative_eq!(*x, *y, epsilon = 1e-4, max_relative = 1e-4))
}

#[test]
fn model_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Model>();
    check::<Context>();
}

#[test]
fn copies_with_different_weights_never_mix_across_threads() {
    let ctx = common::context();
    let mlps: Vec<Mlp> = (1..=3).map(Mlp::new).collect();
    let models: Vec<Arc<Model>> = mlps.iter().map(|m| Arc::new(ctx.load_graph_def(&m.graph_def(), &LoadOptions::default()).unwrap())).collect();
    // A different model in the same context: a fixture CNN with TensorFlow's own outputs.
    let cnn_case = common::load_case(&common::fixtures_dir().join("small_cnn"));
    let cnn = Arc::new(ctx.load(&cnn_case.model).unwrap());
    let cnn_in = Tensor::read_npy(&cnn_case.feeds[0].1).unwrap();
    let cnn_want = Tensor::read_npy(&cnn_case.fetches[0].1).unwrap();

    // Inputs and expected outputs per model (batch 1..4).
    let mut rng = Rng(99);
    let inputs: Vec<(usize, Tensor)> = (0..6)
        .map(|k| {
            let batch = 1 + k % 4;
            (batch, Tensor::from_f32(vec![batch, 8], rng.vec(batch * 8)).unwrap())
        })
        .collect();
    let wrong = std::sync::atomic::AtomicUsize::new(0);
    let runs = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..8u64 {
            let (models, mlps, inputs, wrong, runs) = (&models, &mlps, &inputs, &wrong, &runs);
            let (cnn, cnn_in, cnn_want, cnn_case) = (&cnn, &cnn_in, &cnn_want, &cnn_case);
            s.spawn(move || {
                let mut r = Rng(1000 + t);
                for _ in 0..200 {
                    let pick = ((r.next() + 1.0) * 2.0) as usize % 4;
                    let ok = if pick < 3 {
                        let (batch, x) = &inputs[((r.next() + 1.0) * 3.0) as usize % inputs.len()];
                        let y = models[pick].run(&[("x:0", x)], &["y:0"]).unwrap();
                        close(y[0].as_f32().unwrap(), &mlps[pick].reference(x.as_f32().unwrap(), *batch))
                    } else {
                        let (name, _, rtol, atol) = &cnn_case.fetches[0];
                        let y = cnn.run(&[(cnn_case.feeds[0].0.as_str(), cnn_in)], &[name.as_str()]).unwrap();
                        common::compare(&y[0], cnn_want, *rtol, *atol).is_ok()
                    };
                    if !ok {
                        wrong.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(runs.into_inner(), 1600);
    assert_eq!(wrong.into_inner(), 0, "some runs returned another model's (or another run's) result");
}

#[test]
fn second_copy_of_an_architecture_compiles_no_pipeline() {
    let ctx = common::context();
    let x = Tensor::from_f32(vec![2, 8], vec![0.5; 16]).unwrap();
    let a = ctx.load_graph_def(&Mlp::new(10).graph_def(), &LoadOptions::default()).unwrap();
    a.run(&[("x", &x)], &["y"]).unwrap();
    let before = ctx.pipelines_created();
    assert!(before > 0);
    let b = ctx.load_graph_def(&Mlp::new(11).graph_def(), &LoadOptions::default()).unwrap();
    let y = b.run(&[("x", &x)], &["y"]).unwrap();
    assert_eq!(ctx.pipelines_created(), before, "the second copy compiled pipelines");
    assert!(close(y[0].as_f32().unwrap(), &Mlp::new(11).reference(x.as_f32().unwrap(), 2)));
    // Another batch size is a new plan, but still no new pipeline.
    let x3 = Tensor::from_f32(vec![3, 8], vec![0.25; 24]).unwrap();
    b.run(&[("x", &x3)], &["y"]).unwrap();
    assert_eq!(ctx.pipelines_created(), before);
}

#[test]
fn dropping_a_model_releases_its_memory() {
    let ctx = common::context();
    let g = Mlp::new(5).graph_def();
    let x = Tensor::from_f32(vec![4, 8], vec![1.0; 32]).unwrap();
    let start = ctx.memory_bytes();
    let start_buffers = ctx.buffers_live();
    for _ in 0..100 {
        let m = ctx.load_graph_def(&g, &LoadOptions::default()).unwrap();
        m.run(&[("x", &x)], &["y"]).unwrap();
        let mem = m.memory();
        assert!(mem.weights >= (8 * 16 + 16 + 16 * 4 + 4) * 4, "{mem:?}");
        assert!(ctx.memory_bytes() > start);
        drop(m);
        assert_eq!(ctx.memory_bytes(), start, "memory not returned after drop");
        assert_eq!(ctx.buffers_live(), start_buffers);
    }
}

#[test]
fn runs_upload_only_feeds_and_read_back_only_fetches() {
    let ctx = common::context();
    let m = ctx.load_graph_def(&Mlp::new(3).graph_def(), &LoadOptions::default()).unwrap();
    let x = Tensor::from_f32(vec![5, 8], vec![0.1; 40]).unwrap();
    m.run(&[("x", &x)], &["y"]).unwrap();
    let s0 = m.stats();
    for _ in 0..3 {
        m.run(&[("x", &x)], &["y"]).unwrap();
    }
    let s1 = m.stats();
    assert_eq!(s1.bytes_uploaded - s0.bytes_uploaded, 3 * 5 * 8 * 4, "uploads beyond the feeds");
    assert_eq!(s1.bytes_read_back - s0.bytes_read_back, 3 * 5 * 4 * 4);
    assert_eq!(s1.submits - s0.submits, 3);
    assert_eq!(s1.bind_groups_created, s0.bind_groups_created, "bind groups created inside run");
    assert_eq!(s1.plans_created, s0.plans_created);
}

#[test]
fn names_are_isolated_by_prefix_and_intermediates_are_fetchable() {
    let ctx = common::context();
    let mlp = Mlp::new(8);
    let m = ctx.load_graph_def(&mlp.graph_def(), &LoadOptions { prefix: Some("net".into()), ..Default::default() }).unwrap();
    let x = Tensor::from_f32(vec![1, 8], vec![0.3; 8]).unwrap();
    let out = m.runner().feed("net/x", &x).fetch("net/y:0").fetch("net/r").run().unwrap();
    assert!(close(out[0].as_f32().unwrap(), &mlp.reference(x.as_f32().unwrap(), 1)));
    assert_eq!(out[1].shape(), &[1, 16]);
    assert!(out[1].as_f32().unwrap().iter().all(|&v| v >= 0.0));
    let e = m.run(&[("x", &x)], &["net/y"]).unwrap_err().to_string();
    assert!(e.contains("'x'"), "{e}");
}
