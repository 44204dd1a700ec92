//! A constant factor after a float Sum moves into the sum (`lower/fuse/scale.rs`): a mean
//! written as Sum then Mul by 1/N (jax2tf, Flax) is one kernel, gives f32's result, and under
//! `--precision f16` stores the mean rather than a sum beyond f16's 65,504.
mod common;
mod hardening;

use hardening::*;
use wgtf::proto::NodeDef;
use wgtf::{LoadOptions, Precision, Tensor};

const N: usize = 2;
const HW: usize = 64 * 64;
const C: usize = 8;

/// x [2, 64, 64, 8] → Sum over H and W (→ Reshape [2, 1, 1, 8]) → Mul by `factor` ("out").
fn graph(reshape: bool, factor: NodeDef) -> Vec<NodeDef> {
    let mut nodes = vec![
        placeholder("x", F32, &[N as i64, 64, 64, C as i64]),
        const_i32("axes", &[2], &[1, 2]),
        node("sum", "Sum", &["x", "axes"], vec![("T", ty(F32)), ("Tidx", ty(I32)), ("keep_dims", bool_attr(false))]),
        factor,
    ];
    let src = if reshape {
        nodes.push(const_i32("shape", &[4], &[N as i32, 1, 1, C as i32]));
        nodes.push(node("reshaped", "Reshape", &["sum", "shape"], vec![("T", ty(F32)), ("Tshape", ty(I32))]));
        "reshaped"
    } else {
        "sum"
    };
    nodes.push(node("out", "Mul", &[src, "c"], vec![("T", ty(F32))]));
    nodes
}

/// Values near 50: each channel's sum over 4096 pixels is about 205,000.
fn input() -> (Tensor, Vec<f64>) {
    let v: Vec<f32> = (0..N * HW * C).map(|i| 50.0 + ((i * 7919) % 64) as f32 / 16.0).collect();
    let mut sums = vec![0f64; N * C];
    for (i, &x) in v.iter().enumerate() {
        sums[(i / (HW * C)) * C + i % C] += x as f64;
    }
    (Tensor::from_f32(vec![N, 64, 64, C], v).unwrap(), sums)
}

fn load(nodes: Vec<NodeDef>, precision: Precision) -> wgtf::Model {
    common::context().load_graph_def(&bytes(nodes), &LoadOptions { precision, ..Default::default() }).unwrap()
}

#[test]
fn a_factor_after_a_sum_joins_it() {
    let (x, sums) = input();
    let scale = 1.0 / HW as f32;
    for reshape in [false, true] {
        let nodes = graph(reshape, const_f32("c", &[], &[scale]));
        let m = load(nodes.clone(), Precision::F32);
        let plan = m.plan_for(&[("x", &x)], &["out"]).unwrap();
        let reductions = plan.kernels.iter().filter(|k| k.2.starts_with("reduce/reduce.wgsl")).count();
        assert_eq!(reductions, plan.kernels.len(), "reshape={reshape}: the Mul is gone: {:?}", plan.kernels);
        let got = m.run(&[("x", &x)], &["out"]).unwrap().remove(0);
        assert_eq!(got.shape(), if reshape { &[N, 1, 1, C][..] } else { &[N, C][..] });
        let got = got.to_f32_vec().unwrap();
        for (g, s) in got.iter().zip(&sums) {
            assert!((*g as f64 - s * scale as f64).abs() <= 1e-5 * s * scale as f64, "reshape={reshape}: {g} vs mean {}", s * scale as f64);
        }
        // In f16 the stored value is the mean (the sums would pass 65,504).
        let half = load(nodes.clone(), Precision::F16).run(&[("x", &x)], &["out"]).unwrap().remove(0).to_f32_vec().unwrap();
        for (h, g) in half.iter().zip(&got) {
            assert!(h.is_finite() && (h - g).abs() <= 2e-3 * g.abs(), "reshape={reshape}: f16 {h} vs f32 {g}");
        }
        // The sum itself stays fetchable, unscaled (the model plans that fetch with the graph as
        // loaded).
        let outs = m.run(&[("x", &x)], &["sum", "out"]).unwrap();
        let sum = outs[0].to_f32_vec().unwrap();
        assert!((sum[0] as f64 - sums[0]).abs() <= 1e-5 * sums[0], "{} vs {}", sum[0], sums[0]);
        assert_eq!(outs[1].to_f32_vec().unwrap(), got);
    }
}

#[test]
fn factors_that_could_broadcast_stay_apart() {
    // A factor of shape [1, 1, 1, 1] makes the product rank 4: not fused, and still right.
    let (x, sums) = input();
    let m = load(graph(false, const_f32("c", &[1, 1, 1, 1], &[0.5])), Precision::F32);
    let plan = m.plan_for(&[("x", &x)], &["out"]).unwrap();
    assert!(plan.kernels.len() >= 2, "{:?}", plan.kernels);
    let got = m.run(&[("x", &x)], &["out"]).unwrap().remove(0);
    assert_eq!(got.shape(), &[1, 1, N, C]);
    assert!((got.to_f32_vec().unwrap()[0] as f64 - sums[0] * 0.5).abs() <= 1e-5 * sums[0]);
}
