// y = f(x) for float32 tensors. OP selects f (codes are defined by the op files in
// src/ops/math and src/ops/nn); alpha and beta are per-op parameters.
override OP: u32 = 0u;

struct Meta {
    n: u32,
    alpha: f32,
    beta: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> cfg: Meta;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

//#include common/activation.wgsl

fn erfc_approx(v: f32) -> f32 {
    let r = erfc_abs(v);
    return select(2.0 - r, r, v >= 0.0);
}

fn log1p_(v: f32) -> f32 {
    let u = 1.0 + v;
    if (u == 1.0) {
        return v;
    }
    return log(u) * v / (u - 1.0);
}

// sin and cos to about one ulp on every adapter (the built-ins may be off by 2^-11, WGSL's
// bound, as SwiftShader's and GPUs' fast ones are): Cephes' sinf/cosf, the argument reduced by
// π/4 in three parts, then a polynomial on [-π/4, π/4]. Beyond 8192 the reduction loses
// precision, and the built-ins take over.
fn sin_poly(x: f32, z: f32) -> f32 {
    return ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * x + x;
}

fn cos_poly(z: f32) -> f32 {
    return ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
}

// (the argument reduced to [-π/4, π/4], its octant 0..7) of |v|.
fn trig_reduce(a: f32) -> vec2<f32> {
    var j = u32(a * 1.27323954473516);
    if ((j & 1u) == 1u) {
        j += 1u;
    }
    let y = f32(j);
    let r = ((a - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
    return vec2<f32>(r, f32(j & 7u));
}

fn sin_(v: f32) -> f32 {
    let a = abs(v);
    if (a > 8192.0 || a != a) {
        return sin(v);
    }
    let red = trig_reduce(a);
    var j = u32(red.y);
    var neg = v < 0.0;
    if (j > 3u) {
        neg = !neg;
        j -= 4u;
    }
    let z = red.x * red.x;
    let r = select(sin_poly(red.x, z), cos_poly(z), j == 1u || j == 2u);
    return select(r, -r, neg);
}

fn cos_(v: f32) -> f32 {
    let a = abs(v);
    if (a > 8192.0 || a != a) {
        return cos(v);
    }
    let red = trig_reduce(a);
    var j = u32(red.y);
    var neg = false;
    if (j > 3u) {
        neg = !neg;
        j -= 4u;
    }
    if (j > 1u) {
        neg = !neg;
    }
    let z = red.x * red.x;
    let r = select(cos_poly(z), sin_poly(red.x, z), j == 1u || j == 2u);
    return select(r, -r, neg);
}

fn round_half_even(v: f32) -> f32 {
    let r = round(v);
    return r;
}

fn apply(v: f32) -> f32 {
    switch OP {
        case 0u, 1u, 2u, 3u, 4u, 5u, 37u, 38u, 39u: { return activate(OP, v, cfg.alpha); } // Relu, Relu6, Sigmoid, Tanh, Elu, LeakyRelu, Swish, Gelu
        case 6u: { return inverseSqrt(v); }                               // Rsqrt
        case 7u: { return abs(v); }                                       // Abs
        case 8u: { return -v; }                                           // Neg
        case 9u: { return exp(v); }                                       // Exp
        case 10u: { return log(v); }                                      // Log
        case 11u: { return sqrt(v); }                                     // Sqrt
        case 12u: { return v * v; }                                       // Square
        case 13u: { return 1.0 / v; }                                     // Reciprocal
        case 14u: { return sin_(v); }                                     // Sin
        case 15u: { return cos_(v); }                                     // Cos
        case 16u: { return sin_(v) / cos_(v); }                           // Tan
        case 17u: { return atan2(v, sqrt((1.0 - v) * (1.0 + v))); }                                     // Asin
        case 18u: { return atan2(sqrt((1.0 - v) * (1.0 + v)), v); }                                     // Acos
        case 19u: { return atan(v); }                                     // Atan
        case 20u: { return sinh(v); }                                     // Sinh
        case 21u: { return cosh(v); }                                     // Cosh
        case 22u: { return asinh(v); }                                    // Asinh
        case 23u: { return acosh(v); }                                    // Acosh
        case 24u: { return atanh(v); }                                    // Atanh
        case 25u: { return floor(v); }                                    // Floor
        case 26u: { return ceil(v); }                                     // Ceil
        case 27u: { return round_half_even(v); }                          // Round
        case 28u: { return sign(v); }                                     // Sign
        case 29u: { return erf_approx(v); }                               // Erf
        case 30u: { return erfc_approx(v); }                              // Erfc
        case 31u: { return expm1_(v); }                                   // Expm1
        case 32u: { return log1p_(v); }                                   // Log1p
        case 33u: { return max(v, 0.0) + log1p_(exp(-abs(v))); }          // Softplus
        case 34u: { return v / (1.0 + abs(v)); }                          // Softsign
        case 35u: { return 1.0507009873554805 * select(1.6732632423543772 * expm1_(v), v, v > 0.0); } // Selu
        case 36u: { return v; }                                           // Identity (copy)
        case 40u: { return clamp(v, cfg.alpha, cfg.beta); }            // clip to [alpha, beta]
        case 41u: { return v * cfg.alpha + cfg.beta; }                  // affine
        default: { return v; }
    }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (i >= cfg.n) {
        return;
    }
    y[i] = apply(x[i]);
}
