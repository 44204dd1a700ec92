//! FusedBatchNorm, FusedBatchNormV2, FusedBatchNormV3 in inference mode: with constant
//! statistics the op is y = x·s + t per channel, s and t computed once when planning.

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant};
use crate::kernel::meta::{w, AffineMeta};
use crate::ops::nn::window::is_nchw;
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::Tensor;

/// An inference batch norm, its attributes decoded when the model is loaded.
pub struct FusedBatchNorm {
    pub nchw: bool,
    pub is_training: bool,
    pub eps: f32,
}

impl FusedBatchNorm {
    pub fn build(node: &Node) -> Result<FusedBatchNorm> {
        Ok(FusedBatchNorm {
            nchw: is_nchw(node)?,
            is_training: node.attr_bool_or("is_training", true)?,
            eps: node.attr_opt_float("epsilon")?.unwrap_or(1e-3),
        })
    }
}

/// Per-channel (scale, shift) of an inference batch norm.
pub fn scale_shift(node: &Node, gamma: &Tensor, beta: &Tensor, mean: &Tensor, var: &Tensor, eps: f32) -> Result<(Vec<f32>, Vec<f32>)> {
    let (g, b, m, v) = (gamma.to_f32_vec()?, beta.to_f32_vec()?, mean.to_f32_vec()?, var.to_f32_vec()?);
    let c = g.len();
    if b.len() != c || m.len() != c || v.len() != c {
        return Err(node.err("scale, offset, mean and variance must have one value per channel"));
    }
    let s: Vec<f32> = (0..c).map(|i| g[i] / (v[i] + eps).sqrt()).collect();
    let t: Vec<f32> = (0..c).map(|i| b[i] - m[i] * s[i]).collect();
    Ok((s, t))
}

impl Op for FusedBatchNorm {
    fn f16(&self) -> bool {
        true
    }
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        (1..=4).contains(&i)
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 5)?;
        if self.is_training && ins[3].value.as_ref().is_none_or(|m| m.len() == 0) {
            return Err(node.err("training-mode batch norm (is_training=true with no statistics) is not supported"));
        }
        let x = &ins[0];
        if x.shape.len() != 4 {
            return Err(node.err(format!("expects a 4-D input, got {:?}", x.shape)));
        }
        let c = ins[1].shape.iter().product::<usize>();
        let mut outs = vec![TensorInfo::new(x.dtype, x.shape.clone())];
        // batch_mean, batch_variance, reserve spaces: in inference, the given statistics.
        for i in 1..node_outputs(node) {
            let src = if i == 2 || i == 4 { &ins[4] } else { &ins[3] };
            outs.push(match &src.value {
                Some(v) => TensorInfo::known(v.clone()),
                None => TensorInfo::new(x.dtype, vec![c]),
            });
        }
        Ok(outs)
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let val = |i: usize| ins[i].value.as_deref().ok_or_else(|| node.needs_values([i], format!("input {i} must be constant")));
        let (s, t) = scale_shift(node, val(1)?, val(2)?, val(3)?, val(4)?, self.eps)?;
        let c = s.len();
        let x = &ins[0];
        let (channels, inner) = if self.nchw { (x.shape[1], x.shape[2] * x.shape[3]) } else { (x.shape[3], 1) };
        if channels != c {
            return Err(node.err(format!("{c} statistics for {channels} channels")));
        }
        let sid = cx.constant(Tensor::from_f32(vec![c], s)?);
        let tid = cx.constant(Tensor::from_f32(vec![c], t)?);
        let n = x.elements();
        let meta = Meta::from(AffineMeta { n: w(n), channels: w(c), inner: w(inner), alpha: 0.0 });
        cx.kernel(ShaderVariant::new(&shaders::AFFINE), grid(n, 256), meta,
            vec![Binding::In(x.id), Binding::In(sid), Binding::In(tid), Binding::Out(outs[0].id)]);
        Ok(())
    }
}

fn node_outputs(node: &Node) -> usize {
    if node.op == "FusedBatchNormV3" { 6 } else { 5 }
}
