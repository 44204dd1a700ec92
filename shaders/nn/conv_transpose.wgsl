// Transposed 2-D convolution (Conv2DBackpropInput), NHWC, one invocation per output element
// (image, oy, ox, oc): only the taps (ky, kx) whose forward window covers the pixel —
// oy + pt - ky·dh on the stride grid — each over the IC input channels. For few output
// channels, where a GEMM tile (64 columns wide) would compute mostly nothing; the filter is
// [KH, KW, OC, IC].
//#include gen/meta/conv_transpose.wgsl
alias F = f32;

@group(0) @binding(0) var<uniform> cfg: ConvTransposeMeta;
@group(0) @binding(1) var<storage, read> x: array<F>;
@group(0) @binding(2) var<storage, read> f: array<F>;
@group(0) @binding(3) var<storage, read_write> y: array<F>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (i >= cfg.n_out) {
        return;
    }
    let oc = i % cfg.oc;
    let r = i / cfg.oc;
    let ox = r % cfg.ow;
    let r2 = r / cfg.ow;
    let oy = r2 % cfg.oh;
    let img = r2 / cfg.oh;
    var acc = 0.0;
    for (var ky = 0u; ky < cfg.kh; ky++) {
        let ty = i32(oy + cfg.pt) - i32(ky * cfg.dh);
        if (ty < 0 || u32(ty) % cfg.sh != 0u) {
            continue;
        }
        let iy = u32(ty) / cfg.sh;
        if (iy >= cfg.ih) {
            continue;
        }
        for (var kx = 0u; kx < cfg.kw; kx++) {
            let tx = i32(ox + cfg.pl) - i32(kx * cfg.dw);
            if (tx < 0 || u32(tx) % cfg.sw != 0u) {
                continue;
            }
            let ix = u32(tx) / cfg.sw;
            if (ix >= cfg.iw) {
                continue;
            }
            let xb = ((img * cfg.ih + iy) * cfg.iw + ix) * cfg.ic;
            let fb = ((ky * cfg.kw + kx) * cfg.oc + oc) * cfg.ic;
            for (var c = 0u; c < cfg.ic; c++) {
                acc = fma(f32(x[xb + c]), f32(f[fb + c]), acc);
            }
        }
    }
    y[i] = F(acc);
}
