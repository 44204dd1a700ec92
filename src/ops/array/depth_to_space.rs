//! DepthToSpace (and, with `to_depth`, SpaceToDepth): block_size × block_size tiles of the
//! spatial dims exchanged with the channel dim, NHWC or NCHW. Pure transposes: one strided copy
//! over a 6-D view.
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::util::{gather_data, strided_copy, strided_indices};
use crate::ops::{Op, TensorInfo};
use crate::tensor::Tensor;

/// DepthToSpace or SpaceToDepth, its `block_size` and `data_format` decoded when the model is
/// loaded ([`DepthSpace::build`]).
pub struct DepthSpace {
    pub to_depth: bool,
    bs: usize,
    nchw: bool,
}

/// (output shape, 6-D view of the output, input strides over the view).
pub fn depth_space_plan(node: &Node, to_depth: bool, shape: &[usize], bs: usize, nchw: bool) -> Result<(Vec<usize>, Vec<usize>, Vec<i64>)> {
    if shape.len() != 4 {
        return Err(node.err(format!("takes a 4-D input, got shape {shape:?}")));
    }
    if bs < 2 {
        return Err(node.err(format!("block_size {bs} must be at least 2")));
    }
    let (n, c, h, w) = if nchw { (shape[0], shape[1], shape[2], shape[3]) } else { (shape[0], shape[3], shape[1], shape[2]) };
    let s = |v: [usize; 6]| v.iter().map(|&x| x as i64).collect::<Vec<_>>();
    if !to_depth {
        if c % (bs * bs) != 0 {
            return Err(node.err(format!("depth {c} is not a multiple of block_size² = {}", bs * bs)));
        }
        let c2 = c / (bs * bs);
        // Input channel = (i·bs + j)·c2 + k for block row i, column j.
        return Ok(if nchw {
            (vec![n, c2, h * bs, w * bs], vec![n, c2, h, bs, w, bs], s([c * h * w, h * w, w, bs * c2 * h * w, 1, c2 * h * w]))
        } else {
            (vec![n, h * bs, w * bs, c2], vec![n, h, bs, w, bs, c2], s([h * w * c, w * c, bs * c2, c, c2, 1]))
        });
    }
    if h % bs != 0 || w % bs != 0 {
        return Err(node.err(format!("spatial size {h}x{w} is not a multiple of block_size {bs}")));
    }
    let (h2, w2) = (h / bs, w / bs);
    Ok(if nchw {
        (vec![n, c * bs * bs, h2, w2], vec![n, bs, bs, c, h2, w2], s([c * h * w, w, 1, h * w, bs * w, bs]))
    } else {
        (vec![n, h2, w2, c * bs * bs], vec![n, h2, w2, bs, bs, c], s([h * w * c, bs * w * c, bs * c, w * c, c, 1]))
    })
}

impl DepthSpace {
    /// The op of one node (`to_depth`: SpaceToDepth), its attributes decoded.
    pub fn build(node: &Node, to_depth: bool) -> Result<DepthSpace> {
        let fmt = node.attr_string_or("data_format", "NHWC")?;
        if fmt != "NHWC" && fmt != "NCHW" {
            return Err(node.err(format!("data_format {fmt} is not supported")));
        }
        let bs = node.attr_int("block_size")?;
        Ok(DepthSpace { to_depth, bs: usize::try_from(bs).unwrap_or(0), nchw: fmt == "NCHW" })
    }
    fn plan(&self, node: &Node, shape: &[usize]) -> Result<(Vec<usize>, Vec<usize>, Vec<i64>)> {
        depth_space_plan(node, self.to_depth, shape, self.bs, self.nchw)
    }
}

impl Op for DepthSpace {
    fn f16(&self) -> bool {
        true
    }
    fn int64(&self) -> bool {
        true
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        Some(self.plan(node, ins[0].shape()).and_then(|(out, view, st)| {
            let d = gather_data(ins[0].data(), strided_indices(&view, &st, 0).into_iter());
            Ok(vec![Arc::new(Tensor::new(ins[0].dtype(), out, d)?)])
        }))
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, self.plan(node, &ins[0].shape)?.0)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let (_, view, st) = self.plan(node, &ins[0].shape)?;
        strided_copy(cx, node, &ins[0], &Operand { shape: view, ..outs[0].clone() }, 0, &st)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> Node {
        Node { name: "d".into(), op: "DepthToSpace".into(), inputs: vec![], controls: vec![], attrs: Default::default(), device: String::new() }
    }

    #[test]
    fn round_trips() {
        for nchw in [false, true] {
            let shape = if nchw { vec![2, 3, 4, 6] } else { vec![2, 4, 6, 3] };
            let (mid, v1, s1) = depth_space_plan(&node(), true, &shape, 2, nchw).unwrap();
            let (back, v2, s2) = depth_space_plan(&node(), false, &mid, 2, nchw).unwrap();
            assert_eq!(back, shape);
            let a = strided_indices(&v1, &s1, 0);
            let b = strided_indices(&v2, &s2, 0);
            let round: Vec<usize> = b.iter().map(|&i| a[i]).collect();
            assert_eq!(round, (0..shape.iter().product::<usize>()).collect::<Vec<_>>(), "nchw={nchw}");
        }
    }

    #[test]
    fn depth_to_space_nhwc_order() {
        // One pixel, 4 channels, block 2: channels become a 2x2 tile in row-major order.
        let (out, v, s) = depth_space_plan(&node(), false, &[1, 1, 1, 4], 2, false).unwrap();
        assert_eq!(out, vec![1, 2, 2, 1]);
        assert_eq!(strided_indices(&v, &s, 0), vec![0, 1, 2, 3]);
    }
}
