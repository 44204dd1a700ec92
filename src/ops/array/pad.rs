//! Pad, PadV2 (constant value) and MirrorPad (REFLECT, SYMMETRIC).
use crate::error::Result;
use crate::graph::Node;
use crate::lower::{grid, Binding, Lower, Meta, Operand, ShaderVariant, Storage};
use crate::ops::util::{check_rank, host, ints, strides};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::Tensor;

/// `mirror`: MirrorPad; else Pad / PadV2 (input 2 is the constant value).
pub struct Pad {
    pub mirror: bool,
}

fn paddings(node: &Node, shape: &[usize], p: &Tensor) -> Result<Vec<(usize, usize)>> {
    let v = ints(node, p)?;
    if v.len() != 2 * shape.len() {
        return Err(node.err(format!("paddings {:?} do not match rank {}", p.shape(), shape.len())));
    }
    v.chunks(2)
        .map(|c| {
            if c[0] < 0 || c[1] < 0 {
                return Err(node.err("paddings must be non-negative"));
            }
            Ok((c[0] as usize, c[1] as usize))
        })
        .collect()
}

impl Op for Pad {
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i >= 1
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 2)?;
        let p = paddings(node, &ins[0].shape, host(node, ins, 1)?)?;
        let shape = ins[0].shape.iter().zip(&p).map(|(&d, &(a, b))| d + a + b).collect();
        Ok(vec![TensorInfo::new(ins[0].dtype, shape)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let x = &ins[0];
        let out = &outs[0];
        check_rank(node, &x.shape)?;
        let p = paddings(node, &x.shape, ins[1].value.as_ref().ok_or_else(|| node.err("paddings must be constant"))?)?;
        let mode = if self.mirror {
            match node.attr_string("mode")?.as_str() {
                "REFLECT" => 1,
                "SYMMETRIC" => 2,
                m => return Err(node.err(format!("unsupported mode {m}"))),
            }
        } else {
            0
        };
        let value = match ins.get(2).and_then(|v| v.value.clone()) {
            Some(v) => match x.storage() {
                Storage::F32 => v.to_f32_vec()?.first().copied().unwrap_or(0.0).to_bits(),
                Storage::I32 => v.to_i64_vec()?.first().copied().unwrap_or(0) as i32 as u32,
            },
            None => 0,
        };
        let before: Vec<usize> = p.iter().map(|x| x.0).collect();
        let n = out.elements();
        let meta = Meta::new().n(n).n(x.rank()).u(value).u(0).arr(&out.shape, 1).arr(&x.shape, 1).arr(&before, 0).arr(&strides(&x.shape), 0);
        let v = ShaderVariant::new(&shaders::PAD).set("MODE", mode);
        cx.kernel(v, grid(n, 256), meta, vec![Binding::In(x.id), Binding::Out(out.id)]);
        Ok(())
    }
}
