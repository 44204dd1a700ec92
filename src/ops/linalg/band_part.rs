//! MatrixBandPart: keeps a band of each innermost matrix (num_lower sub-diagonals and
//! num_upper super-diagonals; a negative count keeps the whole triangle), zeroes the rest.
//! num_lower and num_upper are host inputs.
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant};
use crate::kernel::meta::{w, BandPartMeta};
use crate::ops::util::{host, ints};
use crate::ops::{Op, TensorInfo};
use crate::shaders;

pub struct MatrixBandPart;

fn band(node: &Node, t: &crate::tensor::Tensor, what: &str) -> Result<i32> {
    let v = ints(node, t)?;
    match v.as_slice() {
        [x] => i32::try_from(*x).map_err(|_| node.err(format!("{what} {x} is out of range"))),
        _ => Err(node.err(format!("{what} must be a scalar, got shape {:?}", t.shape()))),
    }
}

impl Op for MatrixBandPart {
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i > 0
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 3)?;
        let x = &ins[0];
        if x.shape.len() < 2 {
            return Err(node.err(format!("expects a tensor of rank ≥ 2, got {:?}", x.shape)));
        }
        let (rows, cols) = (x.shape[x.shape.len() - 2] as i64, x.shape[x.shape.len() - 1] as i64);
        let lo = band(node, host(node, ins, 1)?, "num_lower")? as i64;
        let up = band(node, host(node, ins, 2)?, "num_upper")? as i64;
        if lo > rows || up > cols {
            return Err(node.err(format!("num_lower {lo} / num_upper {up} exceed the {rows}x{cols} matrix")));
        }
        Ok(vec![TensorInfo::new(x.dtype, x.shape.clone())])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let x = &ins[0];
        let val = |i: usize| ins[i].value.as_deref().ok_or_else(|| node.needs_values([i], format!("input {i} must be known")));
        let lo = band(node, val(1)?, "num_lower")?;
        let up = band(node, val(2)?, "num_upper")?;
        let r = x.rank();
        let n = x.elements();
        let meta = Meta::from(BandPartMeta { n: w(n), rows: w(x.shape[r - 2]), cols: w(x.shape[r - 1]), lower: lo, upper: up, ..Default::default() });
        let v = ShaderVariant::new(&shaders::BAND_PART).ty("T", x.storage().wgsl());
        cx.kernel(v, grid(n, 256), meta, vec![Binding::In(x.id), Binding::Out(outs[0].id)]);
        Ok(())
    }
}
