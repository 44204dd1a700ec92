//! MaxPool3D and AvgPool3D (NDHWC or NCDHW; ksize and strides as 5-int attributes). SAME
//! padding never wins a max, and an average divides by the valid elements only, like TensorFlow.
use crate::kernel::codes::PoolMode;
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant, LOOP_BUDGET, MAX_LOOP_ITERATIONS};
use crate::kernel::meta::{w, Pool3dMeta};
use crate::ops::nn::conv3d::{geometry3, out_shape3, with_ndhwc, Geometry3, Window3D};
use crate::ops::{Op, TensorInfo};
use crate::shaders;

/// A 3-D pooling op; max or average (`mode`); its window decoded when the model is loaded.
pub struct Pool3D {
    pub mode: PoolMode,
    pub window: Window3D,
}


impl Pool3D {
    pub fn build(node: &Node, mode: PoolMode) -> Result<Pool3D> {
        Ok(Pool3D { mode, window: Window3D::decode(node)? })
    }
    fn geo(&self, node: &Node, s: &[usize]) -> Result<Geometry3> {
        geometry3(node, &self.window, s, self.window.ksize, false)
    }
}

impl Op for Pool3D {
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        if !ins[0].dtype.is_float() {
            return Err(node.err(format!("{} inputs are not supported", ins[0].dtype)));
        }
        let g = self.geo(node, &ins[0].shape)?;
        Ok(vec![TensorInfo::new(ins[0].dtype, out_shape3(&self.window, &g, g.c))])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let g = self.geo(node, &ins[0].shape)?;
        let mode = self.mode;
        // As pool.rs: a global window beyond the loop budget is a reduction over D, H and W;
        // other windows beyond what a kernel may loop over are refused.
        let [kd, kh, kw] = g.k;
        let steps = kd * (kh * (kw + 2) + 2) + 1;
        let global = g.out == [1, 1, 1] && g.pad == [0, 0, 0] && (0..3).all(|i| g.k[i] >= g.input[i]);
        if steps > LOOP_BUDGET && !global && steps > MAX_LOOP_ITERATIONS - 256 {
            return Err(node.err(format!("a {kd}x{kh}x{kw} window is too large")));
        }
        with_ndhwc(cx, node, self.window.nchw, &ins[0], &outs[0], |cx, x, y| {
            if steps > LOOP_BUDGET && global {
                let r = if mode == PoolMode::Max { crate::ops::reduce::reduce::MAX } else { crate::ops::reduce::reduce::MEAN };
                r.emit_axes(cx, x, &[1, 2, 3], y.id);
                return Ok(());
            }
            let n_out = y.elements();
            let meta = Meta::from(Pool3dMeta {
                n_out: w(n_out), c: w(g.c),
                id: w(g.input[0]), ih: w(g.input[1]), iw: w(g.input[2]),
                od: w(g.out[0]), oh: w(g.out[1]), ow: w(g.out[2]),
                kd: w(g.k[0]), kh: w(g.k[1]), kw: w(g.k[2]),
                sd: w(g.s[0]), sh: w(g.s[1]), sw: w(g.s[2]),
                pf: w(g.pad[0]), pt: w(g.pad[1]), pl: w(g.pad[2]),
                ..Default::default()
            });
            let v = ShaderVariant::new(&shaders::POOL3D).set("MODE", mode);
            cx.kernel(v, grid(n_out, 256), meta, vec![Binding::In(x.id), Binding::Out(y.id)]);
            Ok(())
        })
    }
}
