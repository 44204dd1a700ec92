// C[b] = act(A[b] · B[b] + bias + residual) for adapters whose subgroups have at least 8 lanes and where
// memory loads, not arithmetic, are the cost (CPU adapters such as lavapipe): a workgroup is 8
// invocations computing an 8 x 32 tile; lane l loads A[row0 + l][k] and B[k][4l .. 4l + 4], and
// the 8 A values are shared with subgroup broadcasts instead of 8 loads per lane. Each lane
// keeps an 8 x 4 block of C in registers (32 FMAs per 5 loaded values).
// SG_GEMM_MATMUL: A and B addressed through strides, so transposes cost nothing. SG_GEMM_CONV2D: A is the
// im2col view of an NHWC image (Conv2D as implicit GEMM), B the [KH*KW*IC, OC] filter.
// SG_GEMM_FEW_ROWS (a few rows, e.g. batch-1 dense layers and RNN steps): a workgroup computes 1 x 32
// outputs with the 8 lanes splitting K, then sums across lanes (no lane idles on absent rows).
// Row tiles (SG_GEMM_MATMUL, SG_GEMM_CONV2D) and batches start at m_off and z_off: more than 65,535 of either go
// in several dispatches.
// VEC4 (A's rows, or in SG_GEMM_CONV2D the image's channels, and B's rows start at multiples of 4
// floats; N a multiple of 4): A and B are also read as vec4 (bindings 6 and 7 alias bindings 1
// and 2), 4 k-steps per iteration: 5 loads per 128 FMAs; C is written as vec4 (binding 8
// aliases binding 4) with the bias loaded once per lane.
alias F = f32;
//#include gen/gemm_subgroup_mode.wgsl
override MODE: u32 = SG_GEMM_MATMUL;
override VEC4: bool = false;
// B_VEC4: B's rows start at multiples of 4 floats and N is a multiple of 4 (the host sets it
// whenever VEC4 is set): B is read as vec4 even where A is not (a 3-channel image's first
// convolution).
override B_VEC4: bool = false;
override ACT: u32 = ACT_NONE;
override HAS_BIAS: bool = false;
override HAS_RES: bool = false;

//#include gen/meta/gemm_subgroup.wgsl

@group(0) @binding(0) var<uniform> cfg: GemmSubgroupMeta;
//#include common/gemm_epilogue.wgsl
@group(0) @binding(8) var<storage, read_write> c_vec: array<vec4<F>>;

fn load_b(base: u32, k: u32, col: u32) -> f32 {
    if (col >= cfg.n) {
        return 0.0;
    }
    return f32(b[base + k * cfg.b_rs + col * cfg.b_cs]);
}

// The 8 x 4 block of C this lane accumulates (row r of the tile in c<r>).
var<private> c0: vec4<f32>;
var<private> c1: vec4<f32>;
var<private> c2: vec4<f32>;
var<private> c3: vec4<f32>;
var<private> c4: vec4<f32>;
var<private> c5: vec4<f32>;
var<private> c6: vec4<f32>;
var<private> c7: vec4<f32>;

// One k-step: lane r's A value times this lane's 4 B values, into row r of the block.
fn step(av: f32, bv: vec4<f32>) {
    c0 = fma(vec4<f32>(subgroupBroadcast(av, 0u)), bv, c0);
    c1 = fma(vec4<f32>(subgroupBroadcast(av, 1u)), bv, c1);
    c2 = fma(vec4<f32>(subgroupBroadcast(av, 2u)), bv, c2);
    c3 = fma(vec4<f32>(subgroupBroadcast(av, 3u)), bv, c3);
    c4 = fma(vec4<f32>(subgroupBroadcast(av, 4u)), bv, c4);
    c5 = fma(vec4<f32>(subgroupBroadcast(av, 5u)), bv, c5);
    c6 = fma(vec4<f32>(subgroupBroadcast(av, 6u)), bv, c6);
    c7 = fma(vec4<f32>(subgroupBroadcast(av, 7u)), bv, c7);
}

// Four k-steps from vec4 loads: A[row][k..k+4] and B rows k..k+4 at vec4 index `bb` (stride
// `rs4`), zero where this lane's columns are past N.
fn step4(av4: vec4<f32>, bb: u32, rs4: u32, n_ok: bool) {
    let z = vec4<f32>(0.0);
    step(av4.x, select(z, vec4<f32>(b4[bb]), n_ok));
    step(av4.y, select(z, vec4<f32>(b4[bb + rs4]), n_ok));
    step(av4.z, select(z, vec4<f32>(b4[bb + 2u * rs4]), n_ok));
    step(av4.w, select(z, vec4<f32>(b4[bb + 3u * rs4]), n_ok));
}

fn load_b4(base: u32, k: u32, col0: u32) -> vec4<f32> {
    return vec4<f32>(load_b(base, k, col0), load_b(base, k, col0 + 1u), load_b(base, k, col0 + 2u), load_b(base, k, col0 + 3u));
}

fn store(base: u32, row: u32, col0: u32, v: vec4<f32>) {
    if (row >= cfg.m) {
        return;
    }
    for (var j = 0u; j < 4u; j++) {
        let col = col0 + j;
        if (col < cfg.n) {
            var x = v[j];
            if (HAS_BIAS) {
                x = x + f32(bias[col]);
            }
            let o = base + row * cfg.n + col;
            if (HAS_RES) {
                x = x + f32(res[o]);
            }
            c[o] = F(act(x, col));
        }
    }
}

// VEC4: the bias of columns col0 .. col0 + 4 (zero without a bias or past N).
fn bias4(col0: u32) -> vec4<f32> {
    if (!HAS_BIAS || col0 >= cfg.n) {
        return vec4<f32>(0.0);
    }
    return vec4<f32>(f32(bias[col0]), f32(bias[col0 + 1u]), f32(bias[col0 + 2u]), f32(bias[col0 + 3u]));
}

// VEC4: this lane's 4 columns of one row, whole (N is a multiple of 4), `bv` their bias.
fn store4(base: u32, row: u32, col0: u32, v: vec4<f32>, bv: vec4<f32>) {
    if (row >= cfg.m || col0 >= cfg.n) {
        return;
    }
    let o = base + row * cfg.n + col0;
    var x = v + bv;
    if (HAS_RES) {
        x += vec4<f32>(f32(res[o]), f32(res[o + 1u]), f32(res[o + 2u]), f32(res[o + 3u]));
    }
    c_vec[o / 4u] = vec4<F>(vec4<f32>(act(x.x, col0), act(x.y, col0 + 1u), act(x.z, col0 + 2u), act(x.w, col0 + 3u)));
}

// B[k][col .. col + 4], zero past N.
fn load_bq(base: u32, k: u32, col: u32) -> vec4<f32> {
    if (B_VEC4) {
        return select(vec4<f32>(0.0), vec4<f32>(b4[(base + k * cfg.b_rs + col) / 4u]), col < cfg.n);
    }
    return load_b4(base, k, col);
}

// SG_GEMM_FEW_ROWS: row wid.y, columns wid.x * 32 .. + 32; lane l takes k = l, l + 8, ...; c<j> holds
// columns 4j .. 4j + 4 of the lane's partial sums until the subgroup adds them up.
fn small_m(wid: vec3<u32>, lane: u32) {
    let row = wid.y;
    let cb = wid.x * 32u;
    let bz = cfg.z_off + wid.z;
    let b0 = bz / cfg.batch_inner;
    let b1 = bz - b0 * cfg.batch_inner;
    let a_row = b0 * cfg.a_bs0 + b1 * cfg.a_bs1 + row * cfg.a_rs;
    let b_base = b0 * cfg.b_bs0 + b1 * cfg.b_bs1;
    for (var k = lane; k < cfg.k; k += 8u) {
        let av = vec4<f32>(f32(a[a_row + k * cfg.a_cs]));
        c0 = fma(av, load_bq(b_base, k, cb), c0);
        c1 = fma(av, load_bq(b_base, k, cb + 4u), c1);
        c2 = fma(av, load_bq(b_base, k, cb + 8u), c2);
        c3 = fma(av, load_bq(b_base, k, cb + 12u), c3);
        c4 = fma(av, load_bq(b_base, k, cb + 16u), c4);
        c5 = fma(av, load_bq(b_base, k, cb + 20u), c5);
        c6 = fma(av, load_bq(b_base, k, cb + 24u), c6);
        c7 = fma(av, load_bq(b_base, k, cb + 28u), c7);
    }
    let s0 = subgroupAdd(c0);
    let s1 = subgroupAdd(c1);
    let s2 = subgroupAdd(c2);
    let s3 = subgroupAdd(c3);
    let s4 = subgroupAdd(c4);
    let s5 = subgroupAdd(c5);
    let s6 = subgroupAdd(c6);
    let s7 = subgroupAdd(c7);
    // Lane l writes columns 4l .. 4l + 4.
    var v = s0;
    switch lane {
        case 1u: { v = s1; }
        case 2u: { v = s2; }
        case 3u: { v = s3; }
        case 4u: { v = s4; }
        case 5u: { v = s5; }
        case 6u: { v = s6; }
        case 7u: { v = s7; }
        default: {}
    }
    let c_base = bz * cfg.m * cfg.n;
    let col0 = cb + lane * 4u;
    if (VEC4) {
        store4(c_base, row, col0, v, bias4(col0));
    } else {
        store(c_base, row, col0, v);
    }
}

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
    // Row tiles vary fastest across workgroups: consecutive workgroups read the same panel of B
    // (32 columns), which then stays in the CPU's cache.
    let row0 = cfg.m_off + wid.x * 8u;
    let col0 = wid.y * 32u + lane * 4u;
    let bz = cfg.z_off + wid.z;
    let b0 = bz / cfg.batch_inner;
    let b1 = bz - b0 * cfg.batch_inner;
    let a_base = b0 * cfg.a_bs0 + b1 * cfg.a_bs1;
    let b_base = b0 * cfg.b_bs0 + b1 * cfg.b_bs1;
    if (MODE == SG_GEMM_FEW_ROWS) {
        small_m(wid, lane);
        return;
    }
    let my_row = row0 + lane;
    let a_ok = my_row < cfg.m;
    let n_ok = col0 < cfg.n;
    let b_rs4 = cfg.b_rs / 4u;
    if (MODE == SG_GEMM_MATMUL) {
        let a_row = a_base + min(my_row, cfg.m - 1u) * cfg.a_rs;
        var k0 = 0u;
        if (VEC4) {
            let a_row4 = a_row / 4u;
            let b_col4 = (b_base + col0) / 4u;
            for (; k0 + 4u <= cfg.k; k0 += 4u) {
                step4(select(vec4<f32>(0.0), vec4<f32>(a4[a_row4 + k0 / 4u]), a_ok), b_col4 + k0 * b_rs4, b_rs4, n_ok);
            }
        }
        for (var k = k0; k < cfg.k; k++) {
            step(select(0.0, f32(a[a_row + k * cfg.a_cs]), a_ok), load_bq(b_base, k, col0));
        }
    } else if (MODE == SG_GEMM_CONV2D) {
        // im2col: this lane's output pixel, then the taps (ky, kx) and channels in order.
        let row = min(my_row, cfg.m - 1u);
        let plane = cfg.oh * cfg.ow;
        let img = row / plane;
        let r = row - img * plane;
        let oy = r / cfg.ow;
        let ox = r - oy * cfg.ow;
        let iy0 = i32(oy * cfg.sh) - i32(cfg.pt);
        let ix0 = i32(ox * cfg.sw) - i32(cfg.pl);
        var k = 0u;
        for (var ky = 0u; ky < cfg.kh; ky++) {
            let iy = iy0 + i32(ky * cfg.dh);
            let y_ok = a_ok && iy >= 0 && iy < i32(cfg.ih);
            let yc = u32(clamp(iy, 0, i32(cfg.ih) - 1));
            for (var kx = 0u; kx < cfg.kw; kx++) {
                let ix = ix0 + i32(kx * cfg.dw);
                let ok = y_ok && ix >= 0 && ix < i32(cfg.iw);
                let pix = ((img * cfg.ih + yc) * cfg.iw + u32(clamp(ix, 0, i32(cfg.iw) - 1))) * cfg.ic;
                var ch = 0u;
                if (VEC4) {
                    let b_col4 = col0 / 4u;
                    for (; ch + 4u <= cfg.ic; ch += 4u) {
                        step4(select(vec4<f32>(0.0), vec4<f32>(a4[(pix + ch) / 4u]), ok), b_col4 + (k + ch) * b_rs4, b_rs4, n_ok);
                    }
                }
                for (; ch < cfg.ic; ch++) {
                    step(select(0.0, f32(a[pix + ch]), ok), load_bq(0u, k + ch, col0));
                }
                k += cfg.ic;
            }
        }
    }
    let c_base = bz * cfg.m * cfg.n;
    if (VEC4) {
        let bv = bias4(col0);
        store4(c_base, row0, col0, c0, bv);
        store4(c_base, row0 + 1u, col0, c1, bv);
        store4(c_base, row0 + 2u, col0, c2, bv);
        store4(c_base, row0 + 3u, col0, c3, bv);
        store4(c_base, row0 + 4u, col0, c4, bv);
        store4(c_base, row0 + 5u, col0, c5, bv);
        store4(c_base, row0 + 6u, col0, c6, bv);
        store4(c_base, row0 + 7u, col0, c7, bv);
        return;
    }
    store(c_base, row0, col0, c0);
    store(c_base, row0 + 1u, col0, c1);
    store(c_base, row0 + 2u, col0, c2);
    store(c_base, row0 + 3u, col0, c3);
    store(c_base, row0 + 4u, col0, c4);
    store(c_base, row0 + 5u, col0, c5);
    store(c_base, row0 + 6u, col0, c6);
    store(c_base, row0 + 7u, col0, c7);
}
