// C[b] = act(A[b] · B[b] + bias + residual) for adapters whose subgroups have at least 8 lanes and where
// memory loads, not arithmetic, are the cost (CPU adapters such as lavapipe): a workgroup is 8
// invocations computing an 8 x 32 tile; lane l loads A[row0 + l][k] and B[k][4l .. 4l + 4], and
// the 8 A values are shared with subgroup broadcasts instead of 8 loads per lane. Each lane
// keeps an 8 x 4 block of C in registers (32 FMAs per 5 loaded values).
// MODE 0: A and B addressed through strides, so transposes cost nothing. MODE 1: A is the
// im2col view of an NHWC image (Conv2D as implicit GEMM), B the [KH*KW*IC, OC] filter.
// VEC4 (MODE 0, row-major A and B with K and N multiples of 4): A and B are also read as vec4
// (bindings 6 and 7 alias bindings 1 and 2), 4 k-steps per iteration: 5 loads per 128 FMAs.
override MODE: u32 = 0u;
override VEC4: bool = false;
override ACT: u32 = 36u;
override HAS_BIAS: bool = false;
override HAS_RES: bool = false;

struct Cfg {
    m: u32, n: u32, k: u32, batch_inner: u32,
    a_rs: u32, a_cs: u32, b_rs: u32, b_cs: u32,
    a_bs0: u32, a_bs1: u32, b_bs0: u32, b_bs1: u32,
    alpha: f32, _p0: u32, _p1: u32, _p2: u32,
    ih: u32, iw: u32, ic: u32, oh: u32,
    ow: u32, kh: u32, kw: u32, sh: u32,
    sw: u32, dh: u32, dw: u32, pt: u32,
    pl: u32, _p3: u32, _p4: u32, _p5: u32,
}

@group(0) @binding(0) var<uniform> cfg: Cfg;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;
@group(0) @binding(5) var<storage, read> res: array<f32>;
@group(0) @binding(6) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> b4: array<vec4<f32>>;

//#include common/activation.wgsl

fn act(v: f32) -> f32 {
    return activate(ACT, v, cfg.alpha);
}

// The A element of output row `row` (image, oy, ox) and column `col` (ky, kx, channel) in
// MODE 1; zero in the padding.
fn im2col(row: u32, col: u32) -> f32 {
    let plane = cfg.oh * cfg.ow;
    let img = row / plane;
    let r = row - img * plane;
    let oy = r / cfg.ow;
    let ox = r - oy * cfg.ow;
    let kwc = cfg.kw * cfg.ic;
    let ky = col / kwc;
    let r2 = col - ky * kwc;
    let kx = r2 / cfg.ic;
    let ch = r2 - kx * cfg.ic;
    let iy = i32(oy * cfg.sh + ky * cfg.dh) - i32(cfg.pt);
    let ix = i32(ox * cfg.sw + kx * cfg.dw) - i32(cfg.pl);
    if (iy < 0 || ix < 0 || iy >= i32(cfg.ih) || ix >= i32(cfg.iw)) {
        return 0.0;
    }
    return a[((img * cfg.ih + u32(iy)) * cfg.iw + u32(ix)) * cfg.ic + ch];
}

fn load_b(base: u32, k: u32, col: u32) -> f32 {
    if (col >= cfg.n) {
        return 0.0;
    }
    return b[base + k * cfg.b_rs + col * cfg.b_cs];
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
                x = x + bias[col];
            }
            let o = base + row * cfg.n + col;
            if (HAS_RES) {
                x = x + res[o];
            }
            c[o] = act(x);
        }
    }
}

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
    let row0 = wid.y * 8u;
    let col0 = wid.x * 32u + lane * 4u;
    let bz = wid.z;
    let b0 = bz / cfg.batch_inner;
    let b1 = bz - b0 * cfg.batch_inner;
    let a_base = b0 * cfg.a_bs0 + b1 * cfg.a_bs1;
    let b_base = b0 * cfg.b_bs0 + b1 * cfg.b_bs1;
    let my_row = row0 + lane;
    let a_ok = my_row < cfg.m;
    let a_row = a_base + min(my_row, cfg.m - 1u) * cfg.a_rs;
    var c0 = vec4<f32>(0.0);
    var c1 = vec4<f32>(0.0);
    var c2 = vec4<f32>(0.0);
    var c3 = vec4<f32>(0.0);
    var c4 = vec4<f32>(0.0);
    var c5 = vec4<f32>(0.0);
    var c6 = vec4<f32>(0.0);
    var c7 = vec4<f32>(0.0);
    var k0 = 0u;
    if (VEC4) {
        // Rows of A and B start at multiples of 4 floats; B's columns col0..col0+3 exist.
        let a_row4 = a_row / 4u;
        let b_col4 = (b_base + col0) / 4u;
        let b_rs4 = cfg.b_rs / 4u;
        let n_ok = col0 < cfg.n;
        for (; k0 + 4u <= cfg.k; k0 += 4u) {
            let av4 = select(vec4<f32>(0.0), a4[a_row4 + k0 / 4u], a_ok);
            let bb = b_col4 + k0 * b_rs4;
            let z = vec4<f32>(0.0);
            let bv0 = select(z, b4[bb], n_ok);
            let bv1 = select(z, b4[bb + b_rs4], n_ok);
            let bv2 = select(z, b4[bb + 2u * b_rs4], n_ok);
            let bv3 = select(z, b4[bb + 3u * b_rs4], n_ok);
            // k0 + 0
            c0 = fma(vec4<f32>(subgroupBroadcast(av4.x, 0u)), bv0, c0);
            c1 = fma(vec4<f32>(subgroupBroadcast(av4.x, 1u)), bv0, c1);
            c2 = fma(vec4<f32>(subgroupBroadcast(av4.x, 2u)), bv0, c2);
            c3 = fma(vec4<f32>(subgroupBroadcast(av4.x, 3u)), bv0, c3);
            c4 = fma(vec4<f32>(subgroupBroadcast(av4.x, 4u)), bv0, c4);
            c5 = fma(vec4<f32>(subgroupBroadcast(av4.x, 5u)), bv0, c5);
            c6 = fma(vec4<f32>(subgroupBroadcast(av4.x, 6u)), bv0, c6);
            c7 = fma(vec4<f32>(subgroupBroadcast(av4.x, 7u)), bv0, c7);
            // k0 + 1
            c0 = fma(vec4<f32>(subgroupBroadcast(av4.y, 0u)), bv1, c0);
            c1 = fma(vec4<f32>(subgroupBroadcast(av4.y, 1u)), bv1, c1);
            c2 = fma(vec4<f32>(subgroupBroadcast(av4.y, 2u)), bv1, c2);
            c3 = fma(vec4<f32>(subgroupBroadcast(av4.y, 3u)), bv1, c3);
            c4 = fma(vec4<f32>(subgroupBroadcast(av4.y, 4u)), bv1, c4);
            c5 = fma(vec4<f32>(subgroupBroadcast(av4.y, 5u)), bv1, c5);
            c6 = fma(vec4<f32>(subgroupBroadcast(av4.y, 6u)), bv1, c6);
            c7 = fma(vec4<f32>(subgroupBroadcast(av4.y, 7u)), bv1, c7);
            // k0 + 2
            c0 = fma(vec4<f32>(subgroupBroadcast(av4.z, 0u)), bv2, c0);
            c1 = fma(vec4<f32>(subgroupBroadcast(av4.z, 1u)), bv2, c1);
            c2 = fma(vec4<f32>(subgroupBroadcast(av4.z, 2u)), bv2, c2);
            c3 = fma(vec4<f32>(subgroupBroadcast(av4.z, 3u)), bv2, c3);
            c4 = fma(vec4<f32>(subgroupBroadcast(av4.z, 4u)), bv2, c4);
            c5 = fma(vec4<f32>(subgroupBroadcast(av4.z, 5u)), bv2, c5);
            c6 = fma(vec4<f32>(subgroupBroadcast(av4.z, 6u)), bv2, c6);
            c7 = fma(vec4<f32>(subgroupBroadcast(av4.z, 7u)), bv2, c7);
            // k0 + 3
            c0 = fma(vec4<f32>(subgroupBroadcast(av4.w, 0u)), bv3, c0);
            c1 = fma(vec4<f32>(subgroupBroadcast(av4.w, 1u)), bv3, c1);
            c2 = fma(vec4<f32>(subgroupBroadcast(av4.w, 2u)), bv3, c2);
            c3 = fma(vec4<f32>(subgroupBroadcast(av4.w, 3u)), bv3, c3);
            c4 = fma(vec4<f32>(subgroupBroadcast(av4.w, 4u)), bv3, c4);
            c5 = fma(vec4<f32>(subgroupBroadcast(av4.w, 5u)), bv3, c5);
            c6 = fma(vec4<f32>(subgroupBroadcast(av4.w, 6u)), bv3, c6);
            c7 = fma(vec4<f32>(subgroupBroadcast(av4.w, 7u)), bv3, c7);
        }
    }
    for (var k = k0; k < cfg.k; k++) {
        var av = 0.0;
        if (a_ok) {
            if (MODE == 0u) {
                av = a[a_row + k * cfg.a_cs];
            } else {
                av = im2col(my_row, k);
            }
        }
        let bv = vec4<f32>(load_b(b_base, k, col0), load_b(b_base, k, col0 + 1u),
                           load_b(b_base, k, col0 + 2u), load_b(b_base, k, col0 + 3u));
        c0 = fma(vec4<f32>(subgroupBroadcast(av, 0u)), bv, c0);
        c1 = fma(vec4<f32>(subgroupBroadcast(av, 1u)), bv, c1);
        c2 = fma(vec4<f32>(subgroupBroadcast(av, 2u)), bv, c2);
        c3 = fma(vec4<f32>(subgroupBroadcast(av, 3u)), bv, c3);
        c4 = fma(vec4<f32>(subgroupBroadcast(av, 4u)), bv, c4);
        c5 = fma(vec4<f32>(subgroupBroadcast(av, 5u)), bv, c5);
        c6 = fma(vec4<f32>(subgroupBroadcast(av, 6u)), bv, c6);
        c7 = fma(vec4<f32>(subgroupBroadcast(av, 7u)), bv, c7);
    }
    let c_base = bz * cfg.m * cfg.n;
    store(c_base, row0, col0, c0);
    store(c_base, row0 + 1u, col0, c1);
    store(c_base, row0 + 2u, col0, c2);
    store(c_base, row0 + 3u, col0, c3);
    store(c_base, row0 + 4u, col0, c4);
    store(c_base, row0 + 5u, col0, c5);
    store(c_base, row0 + 6u, col0, c6);
    store(c_base, row0 + 7u, col0, c7);
}
