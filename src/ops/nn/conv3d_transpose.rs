//! Conv3DBackpropInputV2 (`conv3d_transpose`, Keras Conv3DTranspose) and the older
//! Conv3DBackpropInput (whose input 0 is a tensor of the output's shape instead of the sizes):
//! the gradient of Conv3D with respect to its input, lowered to one implicit-GEMM kernel
//! (MODE 4 of gemm.wgsl). SAME/VALID padding, strides, dilations, NDHWC or NCDHW.
use crate::kernel::codes::GemmMode;
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand, MAX_GROUPS_PER_DIM};
use crate::ops::nn::conv3d::{emit3, with_ndhwc, Volume, Window3D};
use crate::ops::nn::window::dim;
use crate::ops::util::{host, ints};
use crate::ops::{Op, TensorInfo};

/// `sizes_input`: input 0 holds the output sizes (V2); else input 0's shape is the output shape.
/// The window attributes are decoded when the model is loaded.
pub struct Conv3DBackpropInput {
    pub sizes_input: bool,
    pub window: Window3D,
}

impl Conv3DBackpropInput {
    pub fn build(node: &Node, sizes_input: bool) -> Result<Conv3DBackpropInput> {
        Ok(Conv3DBackpropInput { sizes_input, window: Window3D::decode(node)? })
    }
}

fn geometry(node: &Node, win: &Window3D, out: &[usize], filter: &[usize], x: &[usize]) -> Result<Volume> {
    if filter.len() != 5 {
        return Err(node.err(format!("expects a 5-D filter, got shape {filter:?}")));
    }
    let [n, od, oh, ow, oc] = win.ndhwc(node, out)?;
    let [xn, id, ih, iw, ic] = win.ndhwc(node, x)?;
    if filter[3] != oc || filter[4] != ic || xn != n {
        return Err(node.err(format!(
            "filter {filter:?}, output shape {out:?} and value shape {x:?} do not match"
        )));
    }
    let k = [filter[0], filter[1], filter[2]];
    let (s, d, padding) = (win.strides, win.dilations, win.padding);
    let (o, i) = ([od, oh, ow], [id, ih, iw]);
    let mut pad = [0; 3];
    for a in 0..3 {
        let r = dim(node, padding, o[a], k[a], s[a], d[a], (0, 0))?;
        if r.out != i[a] {
            return Err(node.err(format!(
                "output shape {out:?} is inconsistent with the value's shape {x:?} (a convolution of \
                 the output gives {} where the value has {})",
                r.out, i[a]
            )));
        }
        pad[a] = r.pad_before;
    }
    Ok(Volume { n, input: i, ic, out: o, oc, k, s, d, pad })
}

impl Conv3DBackpropInput {
    fn out_shape(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<usize>> {
        if !self.sizes_input {
            return Ok(ins[0].shape.clone());
        }
        let v = ints(node, host(node, ins, 0)?)?;
        if v.len() != 5 || v.iter().any(|&x| x < 0) {
            return Err(node.err(format!("input_sizes must be 5 non-negative sizes, got {v:?}")));
        }
        Ok(v.into_iter().map(|x| x as usize).collect())
    }
}

impl Op for Conv3DBackpropInput {
    fn f16(&self) -> bool {
        true
    }
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        self.sizes_input && i == 0
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 3)?;
        if !ins[2].dtype.is_float() {
            return Err(node.err(format!("{} inputs are not supported", ins[2].dtype)));
        }
        let out = self.out_shape(node, ins)?;
        geometry(node, &self.window, &out, &ins[1].shape, &ins[2].shape)?;
        Ok(vec![TensorInfo::new(ins[2].dtype, out)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let v = geometry(node, &self.window, &outs[0].shape, &ins[1].shape, &ins[2].shape)?;
        if v.oc.div_ceil(64) > MAX_GROUPS_PER_DIM as usize {
            return Err(node.err("convolution too large for one dispatch"));
        }
        with_ndhwc(cx, node, self.window.nchw, &ins[2], &outs[0], |cx, x, y| {
            emit3(cx, GemmMode::Conv3dTranspose, &v, x, &ins[1], y);
            Ok(())
        })
    }
}
