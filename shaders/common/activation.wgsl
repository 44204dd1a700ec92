// Shared by the kernels that fuse an activation into their epilogue (and by unary_float.wgsl):
// included with `//#include common/activation.wgsl`. Codes are the unary_float.wgsl op codes:
// 0 Relu, 1 Relu6, 2 Sigmoid, 3 Tanh, 4 Elu, 5 LeakyRelu (alpha), 37 Swish, 38 Gelu (exact),
// 39 Gelu (tanh), 60 Prelu (alpha: the channel's slope, which kernels read after their bias);
// anything else (36) is the identity. Relu and Relu6 keep NaN, as TensorFlow.

// The Prelu code: kernels read its slope per output channel (after their biases).
const PRELU: u32 = 60u;

fn sigmoid(v: f32) -> f32 {
    // Stable for large |v|.
    if (v >= 0.0) {
        return 1.0 / (1.0 + exp(-v));
    }
    let e = exp(v);
    return e / (1.0 + e);
}

fn expm1_(v: f32) -> f32 {
    if (abs(v) < 1e-3) {
        return v + 0.5 * v * v + v * v * v / 6.0;
    }
    return exp(v) - 1.0;
}

// 1 - erf(|v|) by a rational approximation accurate to ~1e-7 (Numerical Recipes' erfc).
fn erfc_abs(v: f32) -> f32 {
    let a = abs(v);
    let t = 1.0 / (1.0 + 0.5 * a);
    return t * exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
        + t * (-0.82215223 + t * 0.17087277)))))))));
}

fn erf_approx(v: f32) -> f32 {
    let r = erfc_abs(v);
    return select(r - 1.0, 1.0 - r, v >= 0.0);
}

fn is_nan_f32(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn activate(code: u32, v: f32, alpha: f32) -> f32 {
    switch code {
        case 0u: { return select(max(v, 0.0), v, is_nan_f32(v)); }
        case 1u: { return select(clamp(v, 0.0, 6.0), v, is_nan_f32(v)); }
        case 2u: { return sigmoid(v); }
        case 3u: { return tanh(v); }
        case 4u: { return select(expm1_(v), v, v > 0.0); }
        case 5u: { return select(v * alpha, v, v > 0.0); }
        case 37u: { return v * sigmoid(v); }
        case 38u: { return 0.5 * v * (1.0 + erf_approx(v * 0.7071067811865476)); }
        case 39u: { return 0.5 * v * (1.0 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))); }
        case PRELU: { return select(v * alpha, v, v >= 0.0); }
        default: { return v; }
    }
}
