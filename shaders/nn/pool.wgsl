// Max or average pooling over NHWC (or any [N, spatial..., C] flattened to H, W), one
// invocation per output element. MODE 0: max (padding never wins); MODE 1: average over the
// valid (unpadded) elements of the window, as TensorFlow does.
override MODE: u32 = 0u;

struct Meta {
    n_out: u32, ih: u32, iw: u32, c: u32,
    oh: u32, ow: u32, kh: u32, kw: u32,
    sh: u32, sw: u32, pt: u32, pl: u32,
}

@group(0) @binding(0) var<uniform> cfg: Meta;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (i >= cfg.n_out) {
        return;
    }
    let ch = i % cfg.c;
    let r = i / cfg.c;
    let ox = r % cfg.ow;
    let r2 = r / cfg.ow;
    let oy = r2 % cfg.oh;
    let img = r2 / cfg.oh;
    var best = -3.402823466e+38;
    var sum = 0.0;
    var count = 0u;
    for (var ky = 0u; ky < cfg.kh; ky++) {
        let iy = i32(oy * cfg.sh + ky) - i32(cfg.pt);
        if (iy < 0 || iy >= i32(cfg.ih)) {
            continue;
        }
        for (var kx = 0u; kx < cfg.kw; kx++) {
            let ix = i32(ox * cfg.sw + kx) - i32(cfg.pl);
            if (ix < 0 || ix >= i32(cfg.iw)) {
                continue;
            }
            let v = x[((img * cfg.ih + u32(iy)) * cfg.iw + u32(ix)) * cfg.c + ch];
            best = max(best, v);
            sum = sum + v;
            count = count + 1u;
        }
    }
    if (MODE == 0u) {
        y[i] = best;
    } else {
        y[i] = sum / f32(max(count, 1u));
    }
}
