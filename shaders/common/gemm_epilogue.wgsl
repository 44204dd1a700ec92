// The bindings and epilogue shared by linalg/gemm.wgsl, linalg/gemm_subgroup.wgsl and linalg/gemm_large.wgsl: included
// with `//#include common/gemm_epilogue.wgsl` after the includer's ACT override and `cfg` (with
// `n`, C's columns, and `alpha`). Bindings 6 and 7 alias 1 and 2 as vec4 (VEC4 variants).

@group(0) @binding(1) var<storage, read> a: array<F>;
@group(0) @binding(2) var<storage, read> b: array<F>;
@group(0) @binding(3) var<storage, read> bias: array<F>;
@group(0) @binding(4) var<storage, read_write> c: array<F>;
@group(0) @binding(5) var<storage, read> res: array<F>;
@group(0) @binding(6) var<storage, read> a4: array<vec4<F>>;
@group(0) @binding(7) var<storage, read> b4: array<vec4<F>>;

//#include common/activation.wgsl

// The activation of column col's value; Prelu's slopes follow the N biases (bias[n + col]).
fn act(v: f32, col: u32) -> f32 {
    if (ACT == ACT_PRELU) {
        return activate(ACT, v, f32(bias[cfg.n + col]));
    }
    return activate(ACT, v, cfg.alpha);
}
