//! What TensorFlow's grappler-fused ops (`_FusedConv2D`, `_FusedDepthwiseConv2dNative`,
//! `_FusedMatMul`) apply after the product, from their `fused_ops` attribute: a BiasAdd (one
//! arg) or an inference FusedBatchNorm (four args: scale, offset, mean, variance; `epsilon`),
//! then optionally a residual `Add` (one more arg, the output's shape), then optionally an
//! activation (Relu, Relu6, Elu, LeakyRelu with `leakyrelu_alpha`, Sigmoid, Tanh, Swish,
//! GeluExact, GeluApproximate, or Prelu with one more arg: its per-channel slopes, as the TF.js
//! converter writes `[BiasAdd, Prelu]`). Everything lowers into the product kernel's epilogue;
//! a batch norm's scale is folded into the weights (on the host when they are constant, else by
//! one multiply kernel). The TF.js converter's nodes (`FusedDepthwiseConv2dNative`, and fused
//! nodes without the `TArgs` attribute TensorFlow requires) are read the same way.
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand, ShaderVariant};
use crate::ops::linalg::gemm::act;
use crate::ops::util::{binary_kernel, broadcast_map, copy_into, strided_copy};
use crate::ops::TensorInfo;
use crate::shaders;
use crate::tensor::Tensor;

/// The first fused op.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pre {
    None,
    Bias,
    BatchNorm,
}

/// A parsed `fused_ops` list with the attributes it reads (`leakyrelu_alpha`, `epsilon`,
/// `num_args`), decoded once when the model is loaded.
#[derive(Clone, Copy, Debug)]
pub struct Fusion {
    pub pre: Pre,
    pub residual: bool,
    pub act: u32,
    pub alpha: f32,
    pub eps: f32,
    /// The node's `num_args`, when it has one.
    pub num_args: Option<i64>,
}

impl Fusion {
    pub fn parse(node: &Node) -> Result<Fusion> {
        let ops = node.attr_opt_strings("fused_ops")?.unwrap_or_default();
        let bad = || node.err(format!("unsupported fused_ops {ops:?}"));
        let mut it = ops.iter().map(|s| s.as_str()).peekable();
        let pre = match it.peek() {
            Some(&"BiasAdd") => Pre::Bias,
            Some(&("FusedBatchNorm" | "FusedBatchNormV2" | "FusedBatchNormV3")) => Pre::BatchNorm,
            _ => Pre::None,
        };
        if pre != Pre::None {
            it.next();
        }
        let residual = matches!(it.peek(), Some(&("Add" | "AddV2")));
        if residual {
            it.next();
        }
        let mut alpha = 0.0;
        let a = match it.next() {
            None => act::NONE,
            Some("Relu") => act::RELU,
            Some("Relu6") => act::RELU6,
            Some("Elu") => act::ELU,
            Some("LeakyRelu") => {
                alpha = node.attr_opt_float("leakyrelu_alpha")?.unwrap_or(0.2);
                act::LEAKY_RELU
            }
            Some("Sigmoid") => act::SIGMOID,
            Some("Tanh") => act::TANH,
            Some("Swish" | "_MklSwish") => act::SWISH,
            Some("GeluExact") => act::GELU,
            Some("GeluApproximate") => act::GELU_TANH,
            Some("Prelu") => act::PRELU,
            Some(_) => return Err(bad()),
        };
        if it.next().is_some() || (pre == Pre::None && ops.len() > 1 && !residual) {
            return Err(bad());
        }
        let eps = node.attr_opt_float("epsilon")?.unwrap_or(1e-4);
        let num_args = node.attr_opt_int("num_args")?;
        Ok(Fusion { pre, residual, act: a, alpha, eps, num_args })
    }

    /// Args taken by the first fused op.
    pub fn pre_args(&self) -> usize {
        match self.pre {
            Pre::None => 0,
            Pre::Bias => 1,
            Pre::BatchNorm => 4,
        }
    }

    /// Index of the residual input, when there is one.
    pub fn residual_input(&self) -> Option<usize> {
        self.residual.then(|| 2 + self.pre_args())
    }

    /// Index of the Prelu slopes, when the activation is Prelu (after the other args).
    pub fn slopes_input(&self) -> Option<usize> {
        (self.act == act::PRELU).then(|| 2 + self.pre_args() + self.residual as usize)
    }

    /// Args the fused ops take in all.
    pub fn args(&self) -> usize {
        self.pre_args() + self.residual as usize + (self.act == act::PRELU) as usize
    }

    /// Whether input `i` is a host input (the batch norm's statistics).
    pub fn is_host(&self, i: usize) -> bool {
        self.pre == Pre::BatchNorm && (2..6).contains(&i)
    }

    /// Checks the inputs: the args' count and shapes for `channels` output channels and the
    /// output `shape`.
    pub fn check(&self, node: &Node, ins: &[TensorInfo], channels: usize, shape: &[usize]) -> Result<()> {
        let want = 2 + self.args();
        if ins.len() < want {
            return Err(node.err(format!("fused_ops need {} args, the node has {}", want - 2, ins.len().saturating_sub(2))));
        }
        if let Some(n) = self.num_args {
            if n as usize != want - 2 {
                return Err(node.err(format!("num_args is {n}, fused_ops need {}", want - 2)));
            }
        }
        for a in ins.iter().take(2 + self.pre_args()).skip(2) {
            if a.shape.iter().product::<usize>() != channels || a.shape.len() != 1 {
                return Err(node.err(format!("a fused arg of shape {:?} for {channels} channels", a.shape)));
            }
        }
        if let Some(i) = self.slopes_input() {
            // One slope per channel ([C], or [1, …, 1, C] as Keras' PReLU writes it) or one for all.
            let s = &ins[i].shape;
            let n = s.iter().product::<usize>();
            if !(n == 1 || (n == channels && s.last() == Some(&channels))) {
                return Err(node.err(format!("Prelu slopes of shape {s:?} for {channels} channels")));
            }
        }
        if let Some(r) = self.residual_input() {
            if ins[r].shape != shape {
                return Err(node.err(format!("the residual has shape {:?}, the output {shape:?}", ins[r].shape)));
            }
        }
        if !ins[0].dtype.is_float() {
            return Err(node.err(format!("{} inputs are not supported", ins[0].dtype)));
        }
        Ok(())
    }

    /// The batch norm as a per-channel (scale, shift).
    pub fn batch_norm(&self, node: &Node, ins: &[Operand]) -> Result<(Vec<f32>, Vec<f32>)> {
        let v = |i: usize| ins[i].value.as_deref().ok_or_else(|| node.needs_values([i], format!("input {i} must be constant")));
        crate::ops::nn::fused_batch_norm::scale_shift(node, v(2)?, v(3)?, v(4)?, v(5)?, self.eps)
    }
}

/// The weights multiplied by a per-output-channel scale `s` seen with shape `s_shape` (which
/// broadcasts onto the weights): on the host when the weights are constant, else by a kernel.
pub fn scaled_weights(cx: &mut Lower, node: &Node, w: &Operand, s: Vec<f32>, s_shape: Vec<usize>) -> Result<Operand> {
    if let Some(t) = &w.value {
        let wv = t.to_f32_vec()?;
        let (_, v) = broadcast_map(&wv, t.shape(), &s, &s_shape, |a, b| a * b)
            .ok_or_else(|| node.err("internal: scale does not broadcast onto the weights"))?;
        let id = cx.constant(Tensor::from_f32(t.shape().to_vec(), v)?);
        return Ok(Operand { id, dtype: w.dtype, storage: cx.storage_of(w.dtype), shape: w.shape.clone(), value: None });
    }
    let sid = cx.constant(Tensor::from_f32(s_shape.clone(), s)?);
    let so = Operand { id: sid, dtype: w.dtype, storage: cx.storage_of(w.dtype), shape: s_shape, value: None };
    let out = Operand { id: cx.temp(w.dtype, w.shape.clone()), dtype: w.dtype, storage: cx.storage_of(w.dtype), shape: w.shape.clone(), value: None };
    binary_kernel(cx, node, ShaderVariant::new(&shaders::BINARY_FLOAT).set("OP", crate::kernel::codes::BinaryOp::Mul.code() as i64), w, &so, &out)?;
    Ok(out)
}

/// The bias (BiasAdd's arg, or the batch norm's shift as a plan constant) and the weights to
/// use (scaled for a batch norm). `s_shape` is the shape the scale broadcasts with. With a
/// Prelu, the bias binding holds the `c` biases followed by the `c` slopes.
pub fn prepare(f: &Fusion, cx: &mut Lower, node: &Node, ins: &[Operand], s_shape: Vec<usize>, c: usize) -> Result<(Operand, Option<Operand>)> {
    let (w, bias) = prepare_bias(f, cx, node, ins, s_shape)?;
    match f.slopes_input() {
        Some(i) => Ok((w, Some(bias_and_slopes(cx, node, bias.as_ref(), &ins[i], c)?))),
        None => Ok((w, bias)),
    }
}

/// `[bias…, slopes…]` of `2c` values: on the host when both are known, else by copy kernels.
fn bias_and_slopes(cx: &mut Lower, node: &Node, bias: Option<&Operand>, slopes: &Operand, c: usize) -> Result<Operand> {
    let dtype = slopes.dtype;
    let known_bias = match bias {
        None => Some(vec![0f32; c]),
        Some(b) => b.value.as_ref().map(|t| t.to_f32_vec()).transpose()?,
    };
    let known_slopes = slopes.value.as_ref().map(|t| t.to_f32_vec()).transpose()?;
    if let (Some(mut b), Some(s)) = (known_bias, known_slopes) {
        b.extend(if s.len() == 1 { vec![s[0]; c] } else { s });
        let id = cx.constant(Tensor::from_f32(vec![2 * c], b)?);
        return Ok(Operand { id, dtype, storage: cx.storage_of(dtype), shape: vec![2 * c], value: None });
    }
    let out = Operand { id: cx.temp(dtype, vec![2 * c]), dtype, storage: cx.storage_of(dtype), shape: vec![2 * c], value: None };
    let zeros;
    let b = match bias {
        Some(b) => b,
        None => {
            zeros = Operand { id: cx.constant(Tensor::from_f32(vec![c], vec![0.0; c])?), dtype, storage: cx.storage_of(dtype), shape: vec![c], value: None };
            &zeros
        }
    };
    copy_into(cx, node, &Operand { shape: vec![c], ..b.clone() }, &out, 0, &[1])?;
    // A single slope is first repeated over the channels (stride 0).
    let mut s = Operand { shape: vec![c], ..slopes.clone() };
    if slopes.elements() == 1 && c > 1 {
        s.id = cx.temp(dtype, vec![c]);
        strided_copy(cx, node, slopes, &s, 0, &[0])?;
    }
    copy_into(cx, node, &s, &out, c, &[1])?;
    Ok(out)
}

fn prepare_bias(f: &Fusion, cx: &mut Lower, node: &Node, ins: &[Operand], s_shape: Vec<usize>) -> Result<(Operand, Option<Operand>)> {
    match f.pre {
        Pre::None => Ok((ins[1].clone(), None)),
        Pre::Bias => Ok((ins[1].clone(), Some(ins[2].clone()))),
        Pre::BatchNorm => {
            let (s, t) = f.batch_norm(node, ins)?;
            let c = t.len();
            let w = scaled_weights(cx, node, &ins[1], s, s_shape)?;
            let id = cx.constant(Tensor::from_f32(vec![c], t)?);
            Ok((w, Some(Operand { id, dtype: ins[0].dtype, storage: cx.storage_of(ins[0].dtype), shape: vec![c], value: None })))
        }
    }
}
