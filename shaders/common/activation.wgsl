// Shared by the kernels that fuse an activation into their epilogue (and by unary_float.wgsl):
// included with `//#include common/activation.wgsl`. Codes are the `ACT_` constants of
// `Activation` (src/kernel/codes.rs), which equal the unary_float.wgsl codes of the same
// functions; ACT_LEAKY_RELU and ACT_PRELU take alpha (for Prelu: the channel's slope, which
// kernels read after their bias); ACT_NONE is the identity. Relu and Relu6 keep NaN, as
// TensorFlow.
//#include gen/activation.wgsl

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
        case ACT_RELU: { return select(max(v, 0.0), v, is_nan_f32(v)); }
        case ACT_RELU6: { return select(clamp(v, 0.0, 6.0), v, is_nan_f32(v)); }
        case ACT_SIGMOID: { return sigmoid(v); }
        case ACT_TANH: { return tanh(v); }
        case ACT_ELU: { return select(expm1_(v), v, v > 0.0); }
        case ACT_LEAKY_RELU: { return select(v * alpha, v, v > 0.0); }
        case ACT_SWISH: { return v * sigmoid(v); }
        case ACT_GELU: { return 0.5 * v * (1.0 + erf_approx(v * 0.7071067811865476)); }
        case ACT_GELU_TANH: { return 0.5 * v * (1.0 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))); }
        case ACT_PRELU: { return select(v * alpha, v, v >= 0.0); }
        case ACT_NONE, default: { return v; }
    }
}
