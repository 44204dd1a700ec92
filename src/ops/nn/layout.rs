//! NCHW support for NHWC kernels: transposes in and out around the kernel.
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::util::{strided_copy, strides};

/// Runs `body` on NHWC views of `x` and `y`, transposing when the op is NCHW (`nchw`).
pub fn with_nhwc(
    cx: &mut Lower,
    node: &Node,
    nchw: bool,
    x: &Operand,
    y: &Operand,
    body: impl FnOnce(&mut Lower, &Operand, &Operand) -> Result<()>,
) -> Result<()> {
    if !nchw {
        return body(cx, x, y);
    }
    let s = &x.shape;
    let xs = vec![s[0], s[2], s[3], s[1]];
    let st = strides(s);
    let xt = Operand { id: cx.temp(x.dtype, xs.clone()), shape: xs, ..x.clone() };
    // NHWC[n,h,w,c] = NCHW[n,c,h,w]
    strided_copy(cx, node, x, &xt, 0, &[st[0] as i64, st[2] as i64, st[3] as i64, st[1] as i64])?;
    let o = &y.shape;
    let ys = vec![o[0], o[2], o[3], o[1]];
    let yt = Operand { id: cx.temp(y.dtype, ys.clone()), shape: ys.clone(), ..y.clone() };
    body(cx, &xt, &yt)?;
    let yst = strides(&ys);
    // NCHW[n,c,h,w] = NHWC[n,h,w,c]
    strided_copy(cx, node, &yt, y, 0, &[yst[0] as i64, yst[3] as i64, yst[1] as i64, yst[2] as i64])
}
