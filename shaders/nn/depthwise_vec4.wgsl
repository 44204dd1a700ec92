// Depthwise 2-D convolution, NHWC, channel multiplier 1 and a channel count that is a multiple
// of 4. Each invocation computes 4 channels (vec4 loads) of COLS consecutive output columns
// (`DepthwiseChoice` in src/kernel/depthwise.rs; meta `owb` = the column blocks of a row).
// COLS = 4: every filter tap is loaded once for the 4 columns, and the index arithmetic is shared
// by 16 outputs; 3-wide taps at stride 1 or 2 also share the input columns between the 4 outputs
// (loads, not arithmetic, bound this kernel on CPU adapters). COLS = 1: one accumulator per
// invocation, 4 times as many invocations (GPUs with many lanes). Both sum an output's taps in
// the same order (bit-identical results). Out-of-image taps read a clamped address and are
// replaced by zero (TensorFlow's zero padding, NaN-safe).
// Epilogue: y = act(acc + bias[c] + res[i]) (ACT codes of common/activation.wgsl; ACT_PRELU's
// slopes follow the biases: bias[c4 + c]).
alias F = f32;
override ACT: u32 = ACT_NONE;
override HAS_BIAS: bool = false;
override HAS_RES: bool = false;
// Output columns per invocation: COLS_BLOCK or COLS_SINGLE.
//#include gen/depthwise_cols.wgsl
override COLS: u32 = COLS_BLOCK;

//#include gen/meta/depthwise_vec4.wgsl

@group(0) @binding(0) var<uniform> cfg: DepthwiseVec4Meta;
@group(0) @binding(1) var<storage, read> x: array<vec4<F>>;
@group(0) @binding(2) var<storage, read> f: array<vec4<F>>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<F>>;
@group(0) @binding(4) var<storage, read_write> y: array<vec4<F>>;
@group(0) @binding(5) var<storage, read> res: array<vec4<F>>;

//#include common/activation.wgsl

fn act4(v: vec4<f32>, c: u32) -> vec4<f32> {
    var a = vec4<f32>(cfg.alpha);
    if (ACT == ACT_PRELU) {
        a = vec4<f32>(bias[cfg.c4 + c]);
    }
    return vec4<f32>(activate(ACT, v.x, a.x), activate(ACT, v.y, a.y),
                     activate(ACT, v.z, a.z), activate(ACT, v.w, a.w));
}

// The input at column `ix` of the row starting at vec4 index `row`, or zero outside the image.
fn tap(row: u32, ix: i32, c: u32) -> vec4<f32> {
    let inside = ix >= 0 && ix < i32(cfg.iw);
    let v = vec4<f32>(x[row + u32(clamp(ix, 0, i32(cfg.iw) - 1)) * cfg.c4 + c]);
    return select(vec4<f32>(0.0), v, inside);
}

fn store(img: u32, oy: u32, ox: u32, c: u32, acc: vec4<f32>) {
    if (ox >= cfg.ow) {
        return;
    }
    let o = ((img * cfg.oh + oy) * cfg.ow + ox) * cfg.c4 + c;
    var v = acc;
    if (HAS_BIAS) {
        v += vec4<f32>(bias[c]);
    }
    if (HAS_RES) {
        v += vec4<f32>(res[o]);
    }
    y[o] = vec4<F>(act4(v, c));
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 64u + lid;
    if (i >= cfg.n) {
        return;
    }
    let c = i % cfg.c4;
    let r = i / cfg.c4;
    let ox0 = (r % cfg.owb) * COLS;
    let r2 = r / cfg.owb;
    let oy = r2 % cfg.oh;
    let img = r2 / cfg.oh;
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0);
    let step = i32(cfg.sw);
    // 3-wide taps at stride 1 or 2: the 4 columns share input columns (6 or 9 loads per row
    // instead of 12).
    let three_wide = cfg.kw == 3u && cfg.dw == 1u && cfg.sw <= 2u;
    if (COLS == COLS_SINGLE) {
        // Each tap summed in the COLS_BLOCK form's order (bit-identical results).
        var a = vec4<f32>(0.0);
        for (var ky = 0u; ky < cfg.kh; ky++) {
            let iy = i32(oy * cfg.sh + ky * cfg.dh) - i32(cfg.pt);
            if (iy < 0 || iy >= i32(cfg.ih)) {
                continue;
            }
            let row = (img * cfg.ih + u32(iy)) * cfg.iw * cfg.c4;
            if (three_wide) {
                let fb = ky * 3u * cfg.c4 + c;
                let ix = i32(ox0 * cfg.sw) - i32(cfg.pl);
                a = fma(tap(row, ix, c), vec4<f32>(f[fb]), fma(tap(row, ix + 1, c), vec4<f32>(f[fb + cfg.c4]),
                        fma(tap(row, ix + 2, c), vec4<f32>(f[fb + 2u * cfg.c4]), a)));
                continue;
            }
            for (var kx = 0u; kx < cfg.kw; kx++) {
                let w = vec4<f32>(f[(ky * cfg.kw + kx) * cfg.c4 + c]);
                let ix = i32(ox0 * cfg.sw + kx * cfg.dw) - i32(cfg.pl);
                a = fma(tap(row, ix, c), w, a);
            }
        }
        store(img, oy, ox0, c, a);
        return;
    }
    for (var ky = 0u; ky < cfg.kh; ky++) {
        let iy = i32(oy * cfg.sh + ky * cfg.dh) - i32(cfg.pt);
        if (iy < 0 || iy >= i32(cfg.ih)) {
            continue;
        }
        let row = (img * cfg.ih + u32(iy)) * cfg.iw * cfg.c4;
        if (three_wide) {
            let fb = ky * 3u * cfg.c4 + c;
            let w0 = vec4<f32>(f[fb]);
            let w1 = vec4<f32>(f[fb + cfg.c4]);
            let w2 = vec4<f32>(f[fb + 2u * cfg.c4]);
            let ix = i32(ox0 * cfg.sw) - i32(cfg.pl);
            let t0 = tap(row, ix, c);
            let t1 = tap(row, ix + 1, c);
            let t2 = tap(row, ix + 2, c);
            let t3 = tap(row, ix + 3, c);
            let t4 = tap(row, ix + 4, c);
            let t5 = tap(row, ix + 5, c);
            if (cfg.sw == 1u) {
                a0 = fma(t0, w0, fma(t1, w1, fma(t2, w2, a0)));
                a1 = fma(t1, w0, fma(t2, w1, fma(t3, w2, a1)));
                a2 = fma(t2, w0, fma(t3, w1, fma(t4, w2, a2)));
                a3 = fma(t3, w0, fma(t4, w1, fma(t5, w2, a3)));
            } else {
                let t6 = tap(row, ix + 6, c);
                let t7 = tap(row, ix + 7, c);
                let t8 = tap(row, ix + 8, c);
                a0 = fma(t0, w0, fma(t1, w1, fma(t2, w2, a0)));
                a1 = fma(t2, w0, fma(t3, w1, fma(t4, w2, a1)));
                a2 = fma(t4, w0, fma(t5, w1, fma(t6, w2, a2)));
                a3 = fma(t6, w0, fma(t7, w1, fma(t8, w2, a3)));
            }
            continue;
        }
        for (var kx = 0u; kx < cfg.kw; kx++) {
            let w = vec4<f32>(f[(ky * cfg.kw + kx) * cfg.c4 + c]);
            let ix = i32(ox0 * cfg.sw + kx * cfg.dw) - i32(cfg.pl);
            a0 = fma(tap(row, ix, c), w, a0);
            a1 = fma(tap(row, ix + step, c), w, a1);
            a2 = fma(tap(row, ix + 2 * step, c), w, a2);
            a3 = fma(tap(row, ix + 3 * step, c), w, a3);
        }
    }
    store(img, oy, ox0, c, a0);
    store(img, oy, ox0 + 1u, c, a1);
    store(img, oy, ox0 + 2u, c, a2);
    store(img, oy, ox0 + 3u, c, a3);
}
