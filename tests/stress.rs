//! Load under faults (issue 9): many threads run several models on one context with random
//! feeds, a share of them bad (wrong dtype or shape, unknown names, missing feeds, NaN values),
//! while another thread loads malformed models and loads and drops good ones. Every good request
//! must return the right values, every bad one a typed error: 0 wrong results, 0 panics.
mod common;
mod hardening;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use hardening::*;
use wgtf::{Error, LoadOptions, Model, Tensor};

/// x[?, 8] → Relu(x·W1 + b1)[16] → ·W2 + b2 [4].
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
        let mm = |name: &str, a: &str, b: &str| {
            node(name, "MatMul", &[a, b], vec![("T", ty(F32)), ("transpose_a", bool_attr(false)), ("transpose_b", bool_attr(false))])
        };
        bytes(vec![
            placeholder("x", F32, &[-1, 8]),
            const_f32("w1", &[8, 16], &self.w1),
            const_f32("b1", &[16], &self.b1),
            const_f32("w2", &[16, 4], &self.w2),
            const_f32("b2", &[4], &self.b2),
            mm("mm1", "x", "w1"),
            op("h", "BiasAdd", &["mm1", "b1"]),
            op("r", "Relu", &["h"]),
            mm("mm2", "r", "w2"),
            op("y", "BiasAdd", &["mm2", "b2"]),
        ])
    }
    /// TensorFlow's semantics: NaN propagates through Relu.
    fn reference(&self, x: &[f32]) -> Vec<f32> {
        let relu = |v: f32| if v.is_nan() { v } else { v.max(0.0) };
        let mut out = Vec::new();
        for row in x.chunks(8) {
            let h: Vec<f32> = (0..16).map(|j| relu((0..8).map(|i| row[i] * self.w1[i * 16 + j]).sum::<f32>() + self.b1[j])).collect();
            out.extend((0..4).map(|k| (0..16).map(|j| h[j] * self.w2[j * 4 + k]).sum::<f32>() + self.b2[k]));
        }
        out
    }
}

/// x[?, 6], z[6] → s = Sum(Tanh(x) · z, axis 1), m = Max(x, axis 1).
fn reduce_model() -> Vec<u8> {
    let red = |name: &str, o: &str, input: &str| {
        node(name, o, &[input, "ax"], vec![("T", ty(F32)), ("Tidx", ty(I32)), ("keep_dims", bool_attr(false))])
    };
    bytes(vec![
        placeholder("x", F32, &[-1, 6]),
        placeholder("z", F32, &[6]),
        const_i32("ax", &[1], &[1]),
        op("t", "Tanh", &["x"]),
        op("p", "Mul", &["t", "z"]),
        red("s", "Sum", "p"),
        red("m", "Max", "x"),
    ])
}

fn reduce_reference(x: &[f32], z: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let s = x.chunks(6).map(|r| r.iter().zip(z).map(|(a, b)| a.tanh() * b).sum()).collect();
    let m = x
        .chunks(6)
        .map(|r| r.iter().copied().fold(f32::NEG_INFINITY, |a, b| if a.is_nan() || b.is_nan() { f32::NAN } else { a.max(b) }))
        .collect();
    (s, m)
}

fn close(got: &[f32], want: &[f32]) -> bool {
    got.len() == want.len()
        && got.iter().zip(want).all(|(g, w)| (g.is_nan() && w.is_nan()) || (g - w).abs() <= 1e-4 * (1.0 + w.abs()))
}

/// What one request was, and whether its outcome is the right one.
fn request(r: &mut Rng, mlps: &[(Mlp, Arc<Model>)], red: &Model, cnn: &(Model, common::Case, Tensor, Tensor)) -> Result<(), String> {
    let kind = r.below(12);
    let batch = 1 + r.below(5);
    let (mlp, model) = &mlps[r.below(mlps.len())];
    let mut x = Tensor::from_f32(vec![batch, 8], r.vec(batch * 8)).unwrap();
    let expect_err = |res: wgtf::Result<Vec<Tensor>>, ok: fn(&Error) -> bool, what: &str| match res {
        Ok(_) => Err(format!("{what}: succeeded")),
        Err(e) if ok(&e) => Ok(()),
        Err(e) => Err(format!("{what}: unexpected error {e}")),
    };
    match kind {
        // Good requests: the MLPs (sometimes with a NaN), the reduction model, the CNN.
        0..=3 => {
            if kind == 3 {
                let mut v = x.as_f32().unwrap().to_vec();
                let k = r.below(v.len());
                v[k] = f32::NAN;
                x = Tensor::from_f32(vec![batch, 8], v).unwrap();
            }
            let y = model.run(&[("x", &x)], &["y"]).map_err(|e| format!("mlp: {e}"))?;
            let want = mlp.reference(x.as_f32().unwrap());
            if !close(y[0].as_f32().unwrap(), &want) {
                return Err(format!("mlp: wrong values {:?} (want {want:?})", y[0].as_f32().unwrap()));
            }
            Ok(())
        }
        4 | 5 => {
            let xr = Tensor::from_f32(vec![batch, 6], r.vec(batch * 6)).unwrap();
            let z = Tensor::from_f32(vec![6], r.vec(6)).unwrap();
            let out = red.run(&[("x", &xr), ("z", &z)], &["s", "m"]).map_err(|e| format!("reduce: {e}"))?;
            let (s, m) = reduce_reference(xr.as_f32().unwrap(), z.as_f32().unwrap());
            if !close(out[0].as_f32().unwrap(), &s) || !close(out[1].as_f32().unwrap(), &m) {
                return Err("reduce: wrong values".into());
            }
            Ok(())
        }
        6 => {
            let (m, case, input, want) = cnn;
            let (name, _, rtol, atol) = &case.fetches[0];
            let y = m.run(&[(case.feeds[0].0.as_str(), input)], &[name.as_str()]).map_err(|e| format!("cnn: {e}"))?;
            common::compare(&y[0], want, *rtol, *atol).map(|_| ()).map_err(|e| format!("cnn: {e}"))
        }
        // Bad requests.
        7 => {
            let xi = Tensor::from_i32(vec![batch, 8], vec![1; batch * 8]).unwrap();
            expect_err(model.run(&[("x", &xi)], &["y"]), |e| matches!(e, Error::Feed { .. }), "int32 feed")
        }
        8 => {
            let xs = Tensor::from_f32(vec![batch, 7], vec![0.5; batch * 7]).unwrap();
            expect_err(model.run(&[("x", &xs)], &["y"]), |e| matches!(e, Error::Feed { .. }), "[?, 7] feed")
        }
        9 => expect_err(model.run(&[("x", &x)], &["nope:0"]), |e| matches!(e, Error::UnknownTensor(_)), "unknown fetch"),
        10 => expect_err(model.run(&[("ghost", &x)], &["y"]), |e| matches!(e, Error::UnknownTensor(_)), "unknown feed"),
        _ => expect_err(model.run(&[], &["y"]), |e| matches!(e, Error::Node { .. } | Error::Feed { .. }), "missing feed"),
    }
}

#[test]
fn many_threads_many_models_random_and_bad_feeds() {
    let ctx = common::context();
    let mlps: Vec<(Mlp, Arc<Model>)> = (1..=3)
        .map(|s| {
            let m = Mlp::new(s);
            let model = Arc::new(ctx.load_graph_def(&m.graph_def(), &LoadOptions::default()).unwrap());
            (m, model)
        })
        .collect();
    let red = ctx.load_graph_def(&reduce_model(), &LoadOptions::default()).unwrap();
    let case = common::load_case(&common::fixtures_dir().join("small_cnn"));
    let cnn_model = ctx.load(&case.model).unwrap();
    let cnn_in = Tensor::read_npy(&case.feeds[0].1).unwrap();
    let cnn_want = Tensor::read_npy(&case.fetches[0].1).unwrap();
    let cnn = (cnn_model, case, cnn_in, cnn_want);

    let threads = 8;
    let per_thread = 300;
    let (wrong, panics, done) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
    let failures = std::sync::Mutex::new(Vec::new());
    let churn_ok = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let mut handles = Vec::new();
        for t in 0..threads {
            let (mlps, red, cnn, wrong, done, failures) = (&mlps, &red, &cnn, &wrong, &done, &failures);
            handles.push(s.spawn(move || {
                let mut r = Rng(0x5eed_0000 + t as u64);
                for i in 0..per_thread {
                    if let Err(msg) = request(&mut r, mlps, red, cnn) {
                        wrong.fetch_add(1, Ordering::Relaxed);
                        failures.lock().unwrap().push(format!("thread {t} request {i}: {msg}"));
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        // Model churn with malformed models, alongside.
        let (ctx, churn_ok) = (&ctx, &churn_ok);
        handles.push(s.spawn(move || {
            let good = Mlp::new(42);
            let g = good.graph_def();
            let mut r = Rng(77);
            for i in 0..40 {
                let mut bad = g.clone();
                let k = r.below(bad.len());
                match i % 3 {
                    0 => bad.truncate(k),
                    1 => bad[k] ^= 0x55,
                    _ => bad.splice(k..k, [0xff; 7]).for_each(drop),
                }
                // Any outcome but a panic: a flipped byte may still make a valid model.
                if let Ok(m) = ctx.load_graph_def(&bad, &LoadOptions::default()) {
                    let x = Tensor::from_f32(vec![1, 8], vec![0.25; 8]).unwrap();
                    let _ = m.run(&[("x", &x)], &["y"]);
                }
                let m = ctx.load_graph_def(&g, &LoadOptions::default()).unwrap();
                let x = Tensor::from_f32(vec![2, 8], r.vec(16)).unwrap();
                let y = m.run(&[("x", &x)], &["y"]).unwrap();
                if close(y[0].as_f32().unwrap(), &good.reference(x.as_f32().unwrap())) {
                    churn_ok.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
        for h in handles {
            if h.join().is_err() {
                panics.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let failures = failures.into_inner().unwrap();
    assert_eq!(panics.into_inner(), 0, "threads panicked; failures: {failures:?}");
    assert_eq!(done.into_inner(), threads * per_thread);
    assert_eq!(wrong.into_inner(), 0, "wrong outcomes:\n{}", failures.join("\n"));
    assert_eq!(churn_ok.into_inner(), 40, "a freshly loaded model returned wrong values");
    // Failed runs leave the models usable and counted only their good runs.
    let x = Tensor::from_f32(vec![1, 8], vec![0.5; 8]).unwrap();
    let (m, model) = &mlps[0];
    assert!(close(model.run(&[("x", &x)], &["y"]).unwrap()[0].as_f32().unwrap(), &m.reference(&[0.5; 8])));
}
