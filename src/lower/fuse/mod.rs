//! Load-time graph rewrites for speed, producing an optimized copy of the graph. Each pattern is
//! a small rule in its own file; this module runs the passes and holds what they share.
//! - [`pad`]: a zero `Pad` in front of a VALID convolution becomes the convolution's EXPLICIT
//!   padding;
//! - [`scale`]: a constant factor after a float `Sum` (a mean as jax2tf writes it) moves into
//!   the sum;
//! - [`chain`]: Conv2D / DepthwiseConv2dNative / MatMul with constant weights (or a fused node
//!   that only adds a bias, as the TF.js converter writes them) starts a chain; the driver walks
//!   its sole consumers and asks the absorb rules, in order, whether one takes the next node
//!   into the epilogue — until none does (or an activation ends it), then one tail rule may
//!   still take a pattern (Swish). The chain becomes one `_FusedConv2D` /
//!   `_FusedDepthwiseConv2dNative` / `_FusedMatMul` node with folded weights and bias (one
//!   kernel with a bias+activation epilogue). The rules:
//!   - [`affine`]: per-channel constants (BiasAdd, Add/Sub/Mul by constants, inference
//!     FusedBatchNorm; Keras' unfused batch norm is a Mul then an Add);
//!   - [`residual`]: an `AddV2` of a convolution's output and another tensor of the same shape
//!     joins the epilogue (`fused_ops = ["BiasAdd", "Add"]`), with an activation after it;
//!   - [`activation`]: Relu, Relu6, Elu, LeakyRelu, Sigmoid, Tanh, Prelu with constant slopes;
//!     and the tail rule for Swish (`x * sigmoid(x)`, as Keras writes it).
//!
//! A new pattern: a rule `fn(&Step, &mut Epilogue) -> bool` in its own file, listed in
//! [`chain::RULES`] (or a new pass in [`optimize`]).
//!
//! The node that ends a fused chain keeps its name, so fetching it is unchanged; fetching a node
//! that was fused away makes the model plan with the original graph instead.
mod activation;
mod affine;
mod chain;
mod pad;
mod residual;
mod scale;

use std::collections::HashMap;
use std::sync::Arc;

use crate::graph::{Graph, Node, TensorRef};
use crate::ops::Registry;
use crate::proto::attr_value::{ListValue, Value};
use crate::proto::{AttrValue, TensorProto, TensorShapeProto};
use crate::tensor::{DType, Tensor};

/// Values known at load (from [`super::fold_constants`]).
pub type Values = HashMap<TensorRef, Arc<Tensor>>;

/// Optimizes `graph` (constants known in `values`). Returns the rewritten graph.
pub fn optimize(graph: &Graph, values: &Values, registry: &Registry) -> Graph {
    let mut g = graph.clone();
    pad::fold_pads(&mut g, values);
    scale::fold_scales(&mut g, values);
    if registry.contains("_FusedConv2D") {
        chain::fuse_chains(&mut g, values, registry);
    }
    g
}

/// Who reads what, counted once before a pass.
struct Uses {
    /// tensor -> number of data consumers (fetches not counted).
    count: HashMap<TensorRef, usize>,
    /// node -> its consumers (node index, input slot).
    by_node: HashMap<String, Vec<(usize, usize)>>,
}

fn uses(g: &Graph) -> Uses {
    let mut count: HashMap<TensorRef, usize> = HashMap::new();
    let mut by_node: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for (i, n) in g.nodes.iter().enumerate() {
        for (k, r) in n.inputs.iter().enumerate() {
            *count.entry(r.clone()).or_default() += 1;
            by_node.entry(r.node.clone()).or_default().push((i, k));
        }
        for c in &n.controls {
            // A control consumer pins the node: never fuse it away.
            *count.entry(TensorRef::new(c, usize::MAX)).or_default() += 1;
        }
    }
    Uses { count, by_node }
}

impl Uses {
    /// The single consumer of `name:0`, if `name` has exactly one data consumer in all and no
    /// control consumer.
    fn sole(&self, name: &str) -> Option<(usize, usize)> {
        let c = self.by_node.get(name)?;
        if c.len() != 1 || self.count.contains_key(&TensorRef::new(name, usize::MAX)) {
            return None;
        }
        Some(c[0])
    }
}

fn attr_list_s(v: &[&str]) -> AttrValue {
    AttrValue { value: Some(Value::List(ListValue { s: v.iter().map(|s| s.as_bytes().to_vec()).collect(), ..Default::default() })) }
}

fn const_node(name: &str, t: &Tensor) -> Node {
    let v = t.to_f32_vec().unwrap_or_default();
    let tp = TensorProto {
        dtype: DType::F32.to_tf(),
        tensor_shape: Some(TensorShapeProto {
            dim: t.shape().iter().map(|&d| crate::proto::tensor_shape_proto::Dim { size: d as i64, name: String::new() }).collect(),
            unknown_rank: false,
        }),
        tensor_content: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ..Default::default()
    };
    let mut attrs = std::collections::BTreeMap::new();
    attrs.insert("value".to_string(), AttrValue { value: Some(Value::Tensor(tp)) });
    attrs.insert("dtype".to_string(), AttrValue { value: Some(Value::Type(DType::F32.to_tf())) });
    Node { name: name.to_string(), op: "Const".into(), inputs: vec![], controls: vec![], attrs, device: String::new() }
}

/// A constant per-channel vector of `c` values (shape [c] or [1,…,1,c] or a scalar).
fn channel_vec(v: Option<&Arc<Tensor>>, c: usize) -> Option<Vec<f32>> {
    let t = v?;
    if !t.dtype().is_float() {
        return None;
    }
    let s = t.shape();
    let vals = t.to_f32_vec().ok()?;
    if vals.len() == 1 {
        return Some(vec![vals[0]; c]);
    }
    if vals.len() == c && s.last() == Some(&c) && s.iter().rev().skip(1).all(|&d| d == 1) {
        return Some(vals);
    }
    None
}

/// The other input of a binary node that consumes `cur` at `slot`.
fn other(n: &Node, slot: usize) -> Option<&TensorRef> {
    n.inputs.get(1 - slot.min(1))
}

fn is_nhwc(n: &Node) -> bool {
    n.attr_string_or("data_format", "NHWC").map(|s| s == "NHWC").unwrap_or(false)
}

fn drop_nodes(g: &mut Graph, names: &[String]) {
    if names.is_empty() {
        return;
    }
    let set: std::collections::HashSet<&String> = names.iter().collect();
    g.nodes.retain(|n| !set.contains(&n.name));
    let _ = g.reindex();
}
