// The implicit-GEMM view of a convolution, shared by linalg/gemm.wgsl and linalg/gemm_large.wgsl
// (whose `cfg` is a GemmMeta and `MODE` a GemmMode): included with
// `//#include common/gemm_im2col.wgsl`.
// `a_index`: the index into `a` of A(row, col), or -1 where the window reads padding (or, for a
// transposed convolution, falls between strides).
//   GEMM_CONV2D, GEMM_CONV2D_TRANSPOSE: row = (image, oy, ox), col = (ky, kx, channel) of an
//   NHWC image.
//   GEMM_CONV3D, GEMM_CONV3D_TRANSPOSE: row = (image, oz, oy, ox), col = (kz, ky, kx, channel)
//   of an NDHWC volume.
// `load_a`: A(row, col) of batch base `a_base` in any mode (0 outside A), read from the
// includer's `a`.
// `b_index_transposed`: the index into `b` of B(gk, gn) for the transposed modes, whose filter
// is [KH, KW, OC, IC] ([KD, KH, KW, OC, IC]): gk = (taps, ic), gn = oc.
//#include gen/gemm_mode.wgsl

// The input coordinate of output coordinate `o` and tap `k` on one axis (stride `s`, dilation
// `d`, padding before `p`), or -1 where there is none.
fn im2col_axis(o: u32, k: u32, s: u32, d: u32, p: u32, size: u32) -> i32 {
    var i: i32;
    if (MODE == GEMM_CONV2D_TRANSPOSE || MODE == GEMM_CONV3D_TRANSPOSE) {
        let t = i32(o + p) - i32(k * d);
        if (t < 0 || u32(t) % s != 0u) {
            return -1;
        }
        i = t / i32(s);
    } else {
        i = i32(o * s + k * d) - i32(p);
    }
    if (i < 0 || i >= i32(size)) {
        return -1;
    }
    return i;
}

fn a_index(row: u32, col: u32) -> i32 {
    if (MODE != GEMM_CONV2D && MODE != GEMM_CONV2D_TRANSPOSE && MODE != GEMM_CONV3D && MODE != GEMM_CONV3D_TRANSPOSE) {
        return -1; // not a convolution
    }
    let depth = MODE == GEMM_CONV3D || MODE == GEMM_CONV3D_TRANSPOSE;
    let plane = cfg.oh * cfg.ow;
    let od = select(1u, cfg.od, depth);
    let img = row / (od * plane);
    var r = row - img * od * plane;
    let oz = r / plane;
    r = r - oz * plane;
    let oy = r / cfg.ow;
    let ox = r - oy * cfg.ow;
    let kwc = cfg.kw * cfg.ic;
    let khwc = cfg.kh * kwc;
    let kz = select(0u, col / khwc, depth);
    var r2 = col - kz * khwc;
    let ky = r2 / kwc;
    r2 = r2 - ky * kwc;
    let kx = r2 / cfg.ic;
    let ch = r2 - kx * cfg.ic;
    var iz = 0;
    if (depth) {
        iz = im2col_axis(oz, kz, cfg.sd, cfg.dd, cfg.pf, cfg.id);
    }
    let iy = im2col_axis(oy, ky, cfg.sh, cfg.dh, cfg.pt, cfg.ih);
    let ix = im2col_axis(ox, kx, cfg.sw, cfg.dw, cfg.pl, cfg.iw);
    if (iz < 0 || iy < 0 || ix < 0) {
        return -1;
    }
    let id = select(1u, cfg.id, depth);
    return i32((((img * id + u32(iz)) * cfg.ih + u32(iy)) * cfg.iw + u32(ix)) * cfg.ic + ch);
}

fn b_index_transposed(gk: u32, gn: u32) -> u32 {
    let taps = gk / cfg.ic;
    let ch = gk - taps * cfg.ic;
    return (taps * cfg.n + gn) * cfg.ic + ch;
}

fn load_a(a_base: u32, row: u32, col: u32) -> f32 {
    if (row >= cfg.m || col >= cfg.k) {
        return 0.0;
    }
    if (MODE == GEMM_MATMUL) {
        return f32(a[a_base + row * cfg.a_rs + col * cfg.a_cs]);
    }
    let i = a_index(row, col);
    if (i < 0) {
        return 0.0;
    }
    return f32(a[u32(i)]);
}
