// Depthwise 2-D convolution, NHWC, one invocation per output element. Output channel
// oc = c * mult + q reads input channel c; the filter is [KH, KW, C, MULT].
// Epilogue: y = act(acc + bias[oc] + res[i]) (ACT codes of common/activation.wgsl;
// ACT_PRELU's slopes follow the OC biases: bias[oc_count + oc]).
alias F = f32;
override ACT: u32 = ACT_NONE;
override HAS_BIAS: bool = false;
override HAS_RES: bool = false;

//#include gen/meta/depthwise.wgsl

@group(0) @binding(0) var<uniform> cfg: DepthwiseMeta;
@group(0) @binding(1) var<storage, read> x: array<F>;
@group(0) @binding(2) var<storage, read> f: array<F>;
@group(0) @binding(3) var<storage, read> bias: array<F>;
@group(0) @binding(4) var<storage, read_write> y: array<F>;
@group(0) @binding(5) var<storage, read> res: array<F>;

//#include common/activation.wgsl

fn act(v: f32, oc: u32) -> f32 {
    if (ACT == ACT_PRELU) {
        return activate(ACT, v, f32(bias[cfg.oc + oc]));
    }
    return activate(ACT, v, cfg.alpha);
}

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
    let ch = oc / cfg.mult;
    var acc = 0.0;
    for (var ky = 0u; ky < cfg.kh; ky++) {
        let iy = i32(oy * cfg.sh + ky * cfg.dh) - i32(cfg.pt);
        if (iy < 0 || iy >= i32(cfg.ih)) {
            continue;
        }
        for (var kx = 0u; kx < cfg.kw; kx++) {
            let ix = i32(ox * cfg.sw + kx * cfg.dw) - i32(cfg.pl);
            if (ix < 0 || ix >= i32(cfg.iw)) {
                continue;
            }
            let xv = f32(x[((img * cfg.ih + u32(iy)) * cfg.iw + u32(ix)) * cfg.ic + ch]);
            acc = fma(xv, f32(f[(ky * cfg.kw + kx) * cfg.oc + oc]), acc);
        }
    }
    if (HAS_BIAS) {
        acc = acc + f32(bias[oc]);
    }
    if (HAS_RES) {
        acc = acc + f32(res[i]);
    }
    y[i] = F(act(acc, oc));
}
