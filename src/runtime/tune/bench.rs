//! What the autotune times: each candidate on a few small graphs, scored relative to the
//! fastest (GPU time from timestamps where the adapter has them, else wall clock).
#[cfg(not(target_arch = "wasm32"))]
use super::Choice;
use crate::error::Result;
use crate::kernel::{DepthwiseChoice, GemmChoice};
use crate::runtime::context::Context;

/// Each GEMM kernel's score over a matrix product and a 3×3 convolution.
#[cfg(not(target_arch = "wasm32"))]
pub fn gemm_scores(ctx: &Context, cands: &[GemmChoice]) -> Result<Vec<(GemmChoice, f64)>> {
    let ([m, k, n], [hw, ic, oc]) = if cpu(ctx) { ([256, 256, 256], [28, 32, 64]) } else { ([1024, 1024, 1024], [56, 64, 64]) };
    let cases = [graphs::matmul(m, k, n), graphs::conv(hw, ic, oc)];
    scores(ctx, cands, &cases, |c| ctx.with_choices(c, DepthwiseChoice::default()))
}

/// Each depthwise form's score over two MobileNet-like 3×3 depthwise convolutions (an expanded
/// stride-1 block and a stride-2 one; smaller on CPU adapters, where only `tune` times them).
#[cfg(not(target_arch = "wasm32"))]
pub fn depthwise_scores(ctx: &Context, cands: &[DepthwiseChoice]) -> Result<Vec<(DepthwiseChoice, f64)>> {
    let shapes: [(usize, usize, usize); 2] = if cpu(ctx) { [(28, 32, 1), (28, 48, 2)] } else { [(112, 96, 1), (56, 144, 2)] };
    let cases = shapes.map(|(hw, c, stride)| graphs::depthwise(hw, c, stride));
    scores(ctx, cands, &cases, |d| ctx.with_choices(GemmChoice::default(), d))
}

#[cfg(target_arch = "wasm32")]
pub fn gemm_scores(_: &Context, _: &[GemmChoice]) -> Result<Vec<(GemmChoice, f64)>> {
    Err(crate::error::Error::Other("no autotune in browsers".into()))
}

#[cfg(target_arch = "wasm32")]
pub fn depthwise_scores(_: &Context, _: &[DepthwiseChoice]) -> Result<Vec<(DepthwiseChoice, f64)>> {
    Err(crate::error::Error::Other("no autotune in browsers".into()))
}

#[cfg(not(target_arch = "wasm32"))]
fn cpu(ctx: &Context) -> bool {
    ctx.adapter_info().device_type == wgpu::DeviceType::Cpu
}

/// Each candidate's score: its time relative to the fastest candidate's, summed over the cases
/// (`view`: the context with a candidate forced).
#[cfg(not(target_arch = "wasm32"))]
fn scores<C: Choice>(ctx: &Context, cands: &[C], cases: &[graphs::Case], view: impl Fn(C) -> Context) -> Result<Vec<(C, f64)>> {
    let reps = if cpu(ctx) { 1 } else { 3 };
    // times[case][candidate]
    let mut times = Vec::with_capacity(cases.len());
    for (graph, feeds) in cases {
        let mut row = Vec::with_capacity(cands.len());
        for &c in cands {
            row.push(graphs::time(&view(c), graph, feeds, reps)?);
        }
        times.push(row);
    }
    let best: Vec<f64> = times.iter().map(|row| row.iter().copied().fold(f64::INFINITY, f64::min).max(1e-9)).collect();
    Ok(cands.iter().enumerate().map(|(i, c)| (*c, times.iter().zip(&best).map(|(row, b)| row[i] / b).sum())).collect())
}

/// The graphs the autotune times.
#[cfg(not(target_arch = "wasm32"))]
mod graphs {
    use crate::error::Result;
    use crate::graph::Graph;
    use crate::proto::{attr_value, AttrValue, GraphDef, NodeDef};
    use crate::runtime::context::Context;
    use crate::tensor::Tensor;

    pub type Case = (Graph, Vec<(&'static str, Tensor)>);

    fn node(name: &str, op: &str, inputs: &[&str], attrs: Vec<(&str, attr_value::Value)>) -> NodeDef {
        NodeDef {
            name: name.into(),
            op: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            attr: attrs.into_iter().map(|(k, v)| (k.to_string(), AttrValue { value: Some(v) })).collect(),
            ..Default::default()
        }
    }

    fn float() -> (&'static str, attr_value::Value) {
        ("T", attr_value::Value::Type(crate::proto::DataType::DtFloat as i32))
    }

    fn placeholder(name: &str) -> NodeDef {
        node(name, "Placeholder", &[], vec![("dtype", attr_value::Value::Type(crate::proto::DataType::DtFloat as i32))])
    }

    /// Values in [-1, 1) from a fixed sequence.
    fn values(shape: Vec<usize>) -> Tensor {
        let n: usize = shape.iter().product();
        let mut x = 12345u32;
        let v = (0..n).map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        });
        Tensor::from_f32(shape, v.collect()).expect("shape and values agree")
    }

    fn graph(nodes: Vec<NodeDef>) -> Graph {
        Graph::from_graph_def(GraphDef { node: nodes, ..Default::default() }, None).expect("a valid graph")
    }

    /// C = A·B, A [M, K], B [K, N].
    pub fn matmul(m: usize, k: usize, n: usize) -> Case {
        let g = graph(vec![placeholder("a"), placeholder("b"), node("c", "MatMul", &["a", "b"], vec![float()])]);
        (g, vec![("a", values(vec![m, k])), ("b", values(vec![k, n]))])
    }

    /// The attributes of a 3×3 window of `stride`, SAME padding, NHWC.
    fn window(stride: i64) -> Vec<(&'static str, attr_value::Value)> {
        let list = |v: Vec<i64>| attr_value::Value::List(attr_value::ListValue { i: v, ..Default::default() });
        vec![float(), ("strides", list(vec![1, stride, stride, 1])), ("dilations", list(vec![1; 4])), ("padding", attr_value::Value::S(b"SAME".to_vec())), ("data_format", attr_value::Value::S(b"NHWC".to_vec()))]
    }

    /// A 3×3 convolution, stride 1, SAME padding, of one [HW, HW, IC] image to OC channels.
    pub fn conv(hw: usize, ic: usize, oc: usize) -> Case {
        let g = graph(vec![placeholder("x"), placeholder("f"), node("c", "Conv2D", &["x", "f"], window(1))]);
        (g, vec![("x", values(vec![1, hw, hw, ic])), ("f", values(vec![3, 3, ic, oc]))])
    }

    /// A 3×3 depthwise convolution of multiplier 1, SAME padding, of one [HW, HW, C] image.
    pub fn depthwise(hw: usize, c: usize, stride: usize) -> Case {
        let g = graph(vec![placeholder("x"), placeholder("f"), node("c", "DepthwiseConv2dNative", &["x", "f"], window(stride as i64))]);
        (g, vec![("x", values(vec![1, hw, hw, c])), ("f", values(vec![3, 3, c, 1]))])
    }

    /// The fastest of `reps` runs in milliseconds, after one untimed run (compiling the
    /// pipelines): GPU time from timestamps where the adapter has them, else wall clock.
    pub fn time(ctx: &Context, graph: &Graph, feeds: &[(&'static str, Tensor)], reps: usize) -> Result<f64> {
        let model = crate::runtime::model::Model::from_graph(ctx, graph.clone())?;
        let feeds: Vec<(&str, &Tensor)> = feeds.iter().map(|(n, t)| (*n, t)).collect();
        model.run(&feeds, &["c"])?;
        let stamps = ctx.device().features().contains(wgpu::Features::TIMESTAMP_QUERY);
        let mut best = f64::INFINITY;
        for _ in 0..reps {
            let ms = if stamps {
                model.profile(&feeds, &["c"])?.iter().map(|k| k.nanos).sum::<f64>() / 1e6
            } else {
                let t0 = std::time::Instant::now();
                model.run(&feeds, &["c"])?;
                t0.elapsed().as_secs_f64() * 1e3
            };
            best = best.min(ms);
        }
        Ok(best)
    }
}
