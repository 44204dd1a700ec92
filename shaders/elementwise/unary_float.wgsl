// y = f(x) for float32 tensors. OP selects f (a `UnaryOp` of src/kernel/codes.rs); alpha and beta are per-op parameters.
alias F = f32;
override OP: u32 = UNARY_RELU;
//#include gen/unary_op.wgsl

//#include gen/meta/unary.wgsl

@group(0) @binding(0) var<uniform> cfg: UnaryMeta;
@group(0) @binding(1) var<storage, read> x: array<F>;
@group(0) @binding(2) var<storage, read_write> y: array<F>;

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
        case UNARY_RELU, UNARY_RELU6, UNARY_SIGMOID, UNARY_TANH, UNARY_ELU, UNARY_LEAKY_RELU, UNARY_SWISH, UNARY_GELU, UNARY_GELU_TANH: { return activate(OP, v, cfg.alpha); } // Relu, Relu6, Sigmoid, Tanh, Elu, LeakyRelu, Swish, Gelu
        case UNARY_RSQRT: { return inverseSqrt(v); }
        case UNARY_ABS: { return abs(v); }
        case UNARY_NEG: { return -v; }
        case UNARY_EXP: { return exp(v); }
        case UNARY_LOG: { return log(v); }
        case UNARY_SQRT: { return sqrt(v); }
        case UNARY_SQUARE: { return v * v; }
        case UNARY_RECIPROCAL: { return 1.0 / v; }
        case UNARY_SIN: { return sin_(v); }
        case UNARY_COS: { return cos_(v); }
        case UNARY_TAN: { return sin_(v) / cos_(v); }
        case UNARY_ASIN: { return atan2(v, sqrt((1.0 - v) * (1.0 + v))); }
        case UNARY_ACOS: { return atan2(sqrt((1.0 - v) * (1.0 + v)), v); }
        case UNARY_ATAN: { return atan(v); }
        case UNARY_SINH: { return sinh(v); }
        case UNARY_COSH: { return cosh(v); }
        case UNARY_ASINH: { return asinh(v); }
        case UNARY_ACOSH: { return acosh(v); }
        case UNARY_ATANH: { return atanh(v); }
        case UNARY_FLOOR: { return floor(v); }
        case UNARY_CEIL: { return ceil(v); }
        case UNARY_ROUND: { return round_half_even(v); }
        case UNARY_SIGN: { return sign(v); }
        case UNARY_ERF: { return erf_approx(v); }
        case UNARY_ERFC: { return erfc_approx(v); }
        case UNARY_EXPM1: { return expm1_(v); }
        case UNARY_LOG1P: { return log1p_(v); }
        case UNARY_SOFTPLUS: { return max(v, 0.0) + log1p_(exp(-abs(v))); }
        case UNARY_SOFTSIGN: { return v / (1.0 + abs(v)); }
        case UNARY_SELU: { return 1.0507009873554805 * select(1.6732632423543772 * expm1_(v), v, v > 0.0); }
        case UNARY_IDENTITY: { return v; }                                           // Identity (copy)
        case UNARY_CLIP: { return clamp(v, cfg.alpha, cfg.beta); }            // clip to [alpha, beta]
        case UNARY_AFFINE: { return v * cfg.alpha + cfg.beta; }
        default: { return v; }
    }
}

//#include common/each.wgsl

fn each(i: u32) {
    y[i] = F(apply(f32(x[i])));
}
