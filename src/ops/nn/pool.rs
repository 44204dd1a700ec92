//! MaxPool and AvgPool (2-D, NHWC or NCHW; ksize and strides as attributes). SAME padding
//! never wins a max, and an average divides by the valid elements only, like TensorFlow.
use crate::kernel::codes::PoolMode;
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant, LOOP_BUDGET, MAX_LOOP_ITERATIONS};
use crate::kernel::meta::{w, PoolMeta};
use crate::ops::nn::window::Window2D;
use crate::ops::{Op, TensorInfo};
use crate::shaders;

/// A 2-D pooling op; max or average (`mode`); its window decoded when the model is loaded.
pub struct Pool {
    pub mode: PoolMode,
    pub window: Window2D,
}


impl Pool {
    pub fn build(node: &Node, mode: PoolMode) -> Result<Pool> {
        Ok(Pool { mode, window: Window2D::decode(node)? })
    }
}

struct Geo {
    n: usize,
    ih: usize,
    iw: usize,
    c: usize,
    oh: usize,
    ow: usize,
    kh: usize,
    kw: usize,
    sh: usize,
    sw: usize,
    pt: usize,
    pl: usize,
}

fn geo(node: &Node, win: &Window2D, s: &[usize]) -> Result<Geo> {
    let [n, ih, iw, c] = win.nhwc(node, s)?;
    let ((kh, kw), (sh, sw)) = (win.ksize, win.strides);
    // Pools take no explicit paddings.
    let h = win.dim(node, 0, ih, kh, sh, 1, false)?;
    let w = win.dim(node, 1, iw, kw, sw, 1, false)?;
    Ok(Geo { n, ih, iw, c, oh: h.out, ow: w.out, kh, kw, sh, sw, pt: h.pad_before, pl: w.pad_before })
}

impl Op for Pool {
    fn f16(&self) -> bool {
        true
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        if !ins[0].dtype.is_float() {
            return Err(node.err(format!("{} inputs are not supported", ins[0].dtype)));
        }
        let g = geo(node, &self.window, &ins[0].shape)?;
        let shape = self.window.shape([g.n, g.oh, g.ow, g.c]);
        Ok(vec![TensorInfo::new(ins[0].dtype, shape)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let g = geo(node, &self.window, &ins[0].shape)?;
        let mode = self.mode;
        // An invocation per output loops over its window. A window covering the whole image
        // (a global pool) too large for that is a reduction over H and W; other windows beyond
        // what a kernel may loop over are refused.
        let steps = g.kh * (g.kw + 2) + 1;
        let global = g.oh == 1 && g.ow == 1 && g.pt == 0 && g.pl == 0 && g.kh >= g.ih && g.kw >= g.iw;
        if steps > LOOP_BUDGET && !global && steps > MAX_LOOP_ITERATIONS - 256 {
            return Err(node.err(format!("a {}x{} window is too large", g.kh, g.kw)));
        }
        crate::ops::nn::layout::with_nhwc(cx, node, self.window.nchw, &ins[0], &outs[0], |cx, x, y| {
            if steps > LOOP_BUDGET && global {
                let r = if mode == PoolMode::Max { crate::ops::reduce::reduce::MAX } else { crate::ops::reduce::reduce::MEAN };
                r.emit_axes(cx, x, &[1, 2], y.id);
                return Ok(());
            }
            let n_out = g.n * g.oh * g.ow * g.c;
            let meta = Meta::from(PoolMeta {
                n_out: w(n_out), ih: w(g.ih), iw: w(g.iw), c: w(g.c),
                oh: w(g.oh), ow: w(g.ow), kh: w(g.kh), kw: w(g.kw),
                sh: w(g.sh), sw: w(g.sw), pt: w(g.pt), pl: w(g.pl),
            });
            let v = ShaderVariant::new(&shaders::POOL).set("MODE", mode);
            cx.kernel(v, grid(n_out, 256), meta, vec![Binding::In(x.id), Binding::Out(y.id)]);
            Ok(())
        })
    }
}
