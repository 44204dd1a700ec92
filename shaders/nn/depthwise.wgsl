// Depthwise 2-D convolution, NHWC, one invocation per output element. Output channel
// oc = c * mult + q reads input channel c; the filter is [KH, KW, C, MULT].
// Epilogue: y = act(acc + bias[oc] + res[i]) (ACT codes of unary_float.wgsl; 36 = none).
override ACT: u32 = 36u;
override HAS_BIAS: bool = false;
override HAS_RES: bool = false;

struct Meta {
    n_out: u32, ih: u32, iw: u32, ic: u32,
    oh: u32, ow: u32, oc: u32, mult: u32,
    kh: u32, kw: u32, sh: u32, sw: u32,
    dh: u32, dw: u32, pt: u32, pl: u32,
    alpha: f32, _p0: u32, _p1: u32, _p2: u32,
}

@group(0) @binding(0) var<uniform> cfg: Meta;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> f: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read> res: array<f32>;

fn sigmoid(v: f32) -> f32 {
    if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
    let e = exp(v);
    return e / (1.0 + e);
}

fn expm1_(v: f32) -> f32 {
    if (abs(v) < 1e-3) {
        return v + 0.5 * v * v + v * v * v / 6.0;
    }
    return exp(v) - 1.0;
}

fn erf_approx(v: f32) -> f32 {
    let x = abs(v);
    let t = 1.0 / (1.0 + 0.5 * x);
    let r = t * exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
        + t * (-0.82215223 + t * 0.17087277)))))))));
    return select(r - 1.0, 1.0 - r, v >= 0.0);
}

fn act(v: f32) -> f32 {
    switch ACT {
        case 0u: { return select(max(v, 0.0), v, (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u); }
        case 1u: { return select(clamp(v, 0.0, 6.0), v, (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u); }
        case 2u: { return sigmoid(v); }
        case 3u: { return tanh(v); }
        case 4u: { return select(expm1_(v), v, v > 0.0); }
        case 5u: { return select(v * cfg.alpha, v, v > 0.0); }
        case 37u: { return v * sigmoid(v); }
        case 38u: { return 0.5 * v * (1.0 + erf_approx(v * 0.7071067811865476)); }
        case 39u: { return 0.5 * v * (1.0 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))); }
        default: { return v; }
    }
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
            let xv = x[((img * cfg.ih + u32(iy)) * cfg.iw + u32(ix)) * cfg.ic + ch];
            acc = fma(xv, f[(ky * cfg.kw + kx) * cfg.oc + oc], acc);
        }
    }
    if (HAS_BIAS) {
        acc = acc + bias[oc];
    }
    if (HAS_RES) {
        acc = acc + res[i];
    }
    y[i] = act(acc);
}
