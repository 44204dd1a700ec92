//! TF.js graph models back into graphs TensorFlow runs (`wgtf freeze model.json`): the TF.js
//! converter's ops become the plain TensorFlow ops they stand for, each chain ending in a node
//! with the original name, so every tensor a consumer or a user names keeps its name.
//! - `FusedDepthwiseConv2dNative` / `_FusedDepthwiseConv2dNative` / `_FusedConv2D` /
//!   `_FusedMatMul` (whose TF.js form lacks the `TArgs` TensorFlow requires, and may use
//!   activations TensorFlow's CPU kernels do not fuse): the product, then `BiasAdd` or
//!   `FusedBatchNormV3`, a residual `AddV2`, and the activation;
//! - `Prelu(x, a)`: `Relu(x) - a·Relu(-x)` (equal to `x < 0 ? a·x : x`, bit for bit);
//! - Swish, GeluExact and GeluApproximate activations: their formulas in plain ops.
use std::collections::BTreeMap;

use crate::error::Result;
use crate::graph::{Graph, Node, TensorRef};
use crate::proto::attr_value::Value;
use crate::proto::AttrValue;
use crate::tensor::{DType, Tensor};

/// The plain TensorFlow op a fused op's product is, if `op` is one.
fn product_op(op: &str) -> Option<&'static str> {
    match op {
        "FusedDepthwiseConv2dNative" | "_FusedDepthwiseConv2dNative" => Some("DepthwiseConv2dNative"),
        "_FusedConv2D" => Some("Conv2D"),
        "_FusedMatMul" => Some("MatMul"),
        _ => None,
    }
}

/// Whether the graph holds ops that only TF.js (or grappler's fused forms) use.
pub fn needs_rewrite(g: &Graph) -> bool {
    g.nodes.iter().any(|n| product_op(&n.op).is_some() || n.op == "Prelu")
}

/// Rewrites every TF.js-only node of `g` into plain TensorFlow ops.
pub fn rewrite_for_tensorflow(g: &mut Graph) -> Result<()> {
    let mut out: Vec<Node> = Vec::with_capacity(g.nodes.len());
    for n in std::mem::take(&mut g.nodes) {
        if let Some(base) = product_op(&n.op) {
            fused(&n, base, &mut out)?;
        } else if n.op == "Prelu" {
            let mut b = Chain::new(&n, &mut out);
            let x = n.inputs.first().cloned().ok_or_else(|| n.err("Prelu needs 2 inputs"))?;
            let a = n.inputs.get(1).cloned().ok_or_else(|| n.err("Prelu needs 2 inputs"))?;
            prelu(&mut b, x, a, true);
        } else {
            out.push(n);
        }
    }
    g.nodes = out;
    g.reindex()
}

/// Emits the nodes of one rewritten node; the last one takes its name.
struct Chain<'a> {
    orig: &'a Node,
    out: &'a mut Vec<Node>,
    dtype: i32,
    first: bool,
}

impl<'a> Chain<'a> {
    fn new(orig: &'a Node, out: &'a mut Vec<Node>) -> Self {
        let dtype = match orig.attr("T").and_then(|a| a.value.as_ref()) {
            Some(Value::Type(t)) => *t,
            _ => DType::F32.to_tf(),
        };
        Chain { orig, out, dtype, first: true }
    }
    /// A node `op(inputs)` named `{orig}/{suffix}`, or the original name when `last`.
    fn node(&mut self, suffix: &str, op: &str, inputs: Vec<TensorRef>, mut attrs: BTreeMap<String, AttrValue>, last: bool) -> TensorRef {
        attrs.entry("T".into()).or_insert(AttrValue { value: Some(Value::Type(self.dtype)) });
        let name = if last { self.orig.name.clone() } else { format!("{}/{suffix}", self.orig.name) };
        let controls = if std::mem::replace(&mut self.first, false) { self.orig.controls.clone() } else { Vec::new() };
        self.out.push(Node { name: name.clone(), op: op.into(), inputs, controls, attrs, device: self.orig.device.clone() });
        TensorRef::new(name, 0)
    }
    fn unary(&mut self, suffix: &str, op: &str, x: TensorRef, last: bool) -> TensorRef {
        self.node(suffix, op, vec![x], BTreeMap::new(), last)
    }
    fn binary(&mut self, suffix: &str, op: &str, a: TensorRef, b: TensorRef, last: bool) -> TensorRef {
        self.node(suffix, op, vec![a, b], BTreeMap::new(), last)
    }
    /// A scalar constant of the chain's dtype.
    fn scalar(&mut self, suffix: &str, v: f32) -> TensorRef {
        let dtype = DType::from_tf(self.dtype).unwrap_or(DType::F32);
        let t = Tensor::from_f32(vec![], vec![v]).and_then(|t| t.cast(dtype)).unwrap_or_else(|_| Tensor::scalar_f32(v));
        let mut attrs = BTreeMap::new();
        attrs.insert("dtype".into(), AttrValue { value: Some(Value::Type(t.dtype().to_tf())) });
        attrs.insert("value".into(), AttrValue { value: Some(Value::Tensor(crate::import::variables::encode_tensor(&t))) });
        let name = format!("{}/{suffix}", self.orig.name);
        self.out.push(Node { name: name.clone(), op: "Const".into(), inputs: vec![], controls: vec![], attrs, device: self.orig.device.clone() });
        TensorRef::new(name, 0)
    }
}

/// `x >= 0 ? x : a·x` as `Relu(x) - a·Relu(-x)`.
fn prelu(b: &mut Chain, x: TensorRef, a: TensorRef, last: bool) -> TensorRef {
    let pos = b.unary("prelu_pos", "Relu", x.clone(), false);
    let neg = b.unary("prelu_neg", "Neg", x, false);
    let negr = b.unary("prelu_neg_relu", "Relu", neg, false);
    let scaled = b.binary("prelu_scaled", "Mul", a, negr, false);
    b.binary("prelu", "Sub", pos, scaled, last)
}

/// A fused product as its plain ops.
fn fused(n: &Node, base: &str, out: &mut Vec<Node>) -> Result<()> {
    let ops = n.attr_opt_strings("fused_ops")?.unwrap_or_default();
    let mut b = Chain::new(n, out);
    // The product keeps the node's own attributes (strides, padding, transposes, …).
    let keep = ["T", "strides", "padding", "explicit_paddings", "dilations", "data_format", "transpose_a", "transpose_b", "use_cudnn_on_gpu"];
    let attrs: BTreeMap<String, AttrValue> = n.attrs.iter().filter(|(k, _)| keep.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    let (x, w) = match (n.inputs.first(), n.inputs.get(1)) {
        (Some(x), Some(w)) => (x.clone(), w.clone()),
        _ => return Err(n.err("a fused op needs its input and weights")),
    };
    let mut args = n.inputs[2..].iter().cloned();
    let mut arg = |what: &str| args.next().ok_or_else(|| n.err(format!("fused_ops {ops:?}: no input for {what}")));
    let steps: Vec<&str> = ops.iter().map(String::as_str).collect();
    let mut cur = b.node("product", base, vec![x, w], attrs, steps.is_empty());
    for (i, op) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        cur = match *op {
            "BiasAdd" => {
                let mut a = BTreeMap::new();
                if let Some(f) = n.attrs.get("data_format") {
                    a.insert("data_format".into(), f.clone());
                }
                let bias = arg("the bias")?;
                b.node("bias", "BiasAdd", vec![cur, bias], a, last)
            }
            "FusedBatchNorm" | "FusedBatchNormV2" | "FusedBatchNormV3" => {
                let ins = vec![cur, arg("scale")?, arg("offset")?, arg("mean")?, arg("variance")?];
                let mut a = BTreeMap::new();
                a.insert("is_training".into(), AttrValue { value: Some(Value::B(false)) });
                a.insert("U".into(), AttrValue { value: Some(Value::Type(DType::F32.to_tf())) });
                for k in ["epsilon", "data_format"] {
                    if let Some(v) = n.attrs.get(k) {
                        a.insert(k.into(), v.clone());
                    }
                }
                b.node("batch_norm", "FusedBatchNormV3", ins, a, last)
            }
            "Add" | "AddV2" => {
                let r = arg("the residual")?;
                b.binary("residual", "AddV2", cur, r, last)
            }
            "Relu" | "Relu6" | "Elu" | "Selu" | "Sigmoid" | "Tanh" => b.unary("activation", op, cur, last),
            "LeakyRelu" => {
                let mut a = BTreeMap::new();
                let alpha = n.attr_opt_float("leakyrelu_alpha")?.unwrap_or(0.2);
                a.insert("alpha".into(), AttrValue { value: Some(Value::F(alpha)) });
                b.node("activation", "LeakyRelu", vec![cur], a, last)
            }
            "Prelu" => {
                let a = arg("the Prelu slopes")?;
                prelu(&mut b, cur, a, last)
            }
            "Swish" | "_MklSwish" => {
                let s = b.unary("swish_sigmoid", "Sigmoid", cur.clone(), false);
                b.binary("swish", "Mul", cur, s, last)
            }
            "GeluExact" => {
                // 0.5·x·(1 + erf(x/√2))
                let k = b.scalar("gelu_rsqrt2", std::f32::consts::FRAC_1_SQRT_2);
                let xs = b.binary("gelu_scaled", "Mul", cur.clone(), k, false);
                let e = b.unary("gelu_erf", "Erf", xs, false);
                let one = b.scalar("gelu_one", 1.0);
                let e1 = b.binary("gelu_erf1", "AddV2", e, one, false);
                let half = b.scalar("gelu_half", 0.5);
                let hx = b.binary("gelu_halfx", "Mul", cur, half, false);
                b.binary("gelu", "Mul", hx, e1, last)
            }
            "GeluApproximate" => {
                // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
                let x3 = b.binary("gelu_x2", "Mul", cur.clone(), cur.clone(), false);
                let x3 = b.binary("gelu_x3", "Mul", x3, cur.clone(), false);
                let c = b.scalar("gelu_c", 0.044715);
                let cx3 = b.binary("gelu_cx3", "Mul", x3, c, false);
                let inner = b.binary("gelu_inner", "AddV2", cur.clone(), cx3, false);
                let k = b.scalar("gelu_k", 0.797_884_6);
                let ki = b.binary("gelu_kinner", "Mul", inner, k, false);
                let t = b.unary("gelu_tanh", "Tanh", ki, false);
                let one = b.scalar("gelu_one", 1.0);
                let t1 = b.binary("gelu_tanh1", "AddV2", t, one, false);
                let half = b.scalar("gelu_half", 0.5);
                let hx = b.binary("gelu_halfx", "Mul", cur, half, false);
                b.binary("gelu", "Mul", hx, t1, last)
            }
            other => return Err(n.err(format!("fused op '{other}' has no TensorFlow form wgtf knows"))),
        };
    }
    Ok(())
}
