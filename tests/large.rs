//! Large tensors, long rows and many rows, against values computed on the host: rows longer
//! than 65,536, tensors of more than 65,536 × 256 elements (16,777,216: 64 MiB of f32, within
//! lavapipe's 128 MiB storage binding), and more rows than one dispatch dimension holds
//! workgroups. Found by an issue (TopKV2 over a row of 1,310,720 values missed some of the
//! largest): llvmpipe ends every loop of an invocation after 65,535 iterations in all
//! (`lower::MAX_LOOP_ITERATIONS`), so kernels whose loops followed a row's length were wrong
//! beyond it. No test here times anything; each runs in a few seconds on lavapipe.
mod common;
mod hardening;

use hardening::*;
use wgtf::proto::NodeDef;
use wgtf::{Context, LoadOptions, Tensor};

/// Runs a graph whose placeholder `x` is fed `x` and returns the fetches.
fn run(ctx: &Context, nodes: Vec<NodeDef>, x: &Tensor, fetches: &[&str]) -> Vec<Tensor> {
    run_with(ctx, nodes, &[("x", x)], fetches)
}

/// A context without some of the adapter's features (the kernels other adapters get); with no
/// adapter at all, the test fails loudly as every GPU test does.
fn context_without(features: wgpu::Features) -> Context {
    drop(common::context());
    Context::new_with(wgtf::ContextOptions { without: features, ..common::options() }).unwrap()
}

fn run_with(ctx: &Context, nodes: Vec<NodeDef>, feeds: &[(&str, &Tensor)], fetches: &[&str]) -> Vec<Tensor> {
    let m = ctx.load_graph_def(&bytes(nodes), &LoadOptions::default()).unwrap();
    m.run(feeds, fetches).unwrap()
}

/// `x` of `dtype` with every dim unknown.
fn input(dtype: i32, rank: usize) -> NodeDef {
    placeholder("x", dtype, &vec![-1; rank])
}

fn f32s(t: &Tensor) -> Vec<f32> {
    t.to_f32_vec().unwrap()
}

fn i64s(t: &Tensor) -> Vec<i64> {
    t.to_i64_vec().unwrap()
}

/// Values in [-1, 1) rounded to multiples of 1/`levels` (ties on purpose).
fn rounded(r: &mut Rng, n: usize, levels: f32) -> Vec<f32> {
    (0..n).map(|_| (r.f32() * levels).round() / levels).collect()
}

#[path = "large/top_k.rs"]
mod top_k;
#[path = "large/reduce.rs"]
mod reduce;
#[path = "large/arg.rs"]
mod arg;
#[path = "large/softmax.rs"]
mod softmax;
#[path = "large/scan.rs"]
mod scan;
#[path = "large/data.rs"]
mod data;
#[path = "large/matmul.rs"]
mod matmul;
#[path = "large/where_nms.rs"]
mod where_nms;
#[path = "large/pool.rs"]
mod pool;
