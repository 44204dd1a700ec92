//! LRN (local response normalisation) over the depth axis of a 4-D NHWC tensor:
//! y = x / (bias + alpha · Σ x²)^beta, the sum over depth_radius neighbours on each side.
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant};
use crate::kernel::meta::{w, LrnMeta};
use crate::ops::{Op, TensorInfo};
use crate::shaders;

/// LRN, its attributes decoded when the model is loaded.
pub struct Lrn {
    radius: usize,
    bias: f32,
    alpha: f32,
    beta: f32,
}

impl Lrn {
    pub fn build(node: &Node) -> Result<Lrn> {
        let radius = node.attr_opt_int("depth_radius")?.unwrap_or(5);
        if radius < 0 {
            return Err(node.err(format!("depth_radius must be non-negative, got {radius}")));
        }
        Ok(Lrn {
            radius: radius as usize,
            bias: node.attr_opt_float("bias")?.unwrap_or(1.0),
            alpha: node.attr_opt_float("alpha")?.unwrap_or(1.0),
            beta: node.attr_opt_float("beta")?.unwrap_or(0.5),
        })
    }
}

impl Op for Lrn {
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        let x = &ins[0];
        if !x.dtype.is_float() || x.shape.len() != 4 {
            return Err(node.err(format!("expects a 4-D float input, got {} {:?}", x.dtype, x.shape)));
        }
        Ok(vec![TensorInfo::new(x.dtype, x.shape.clone())])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let p = self;
        let x = &ins[0];
        let n = x.elements();
        let depth = x.shape[3];
        // An invocation loops over its 2·radius + 1 neighbours (at most the depth).
        if (2 * p.radius.min(depth) + 1).min(depth) + 1 > crate::kernel::MAX_LOOP_ITERATIONS - 256 {
            return Err(node.err(format!("depth_radius {} over {depth} channels is too large", p.radius)));
        }
        let meta = Meta::from(LrnMeta { n: w(n), depth: w(depth), radius: w(p.radius.min(depth)), bias: p.bias, alpha: p.alpha, beta: p.beta, ..Default::default() });
        cx.kernel(ShaderVariant::new(&shaders::LRN), grid(n, 256), meta, vec![Binding::In(x.id), Binding::Out(outs[0].id)]);
        Ok(())
    }
}
