// C[b] = act(A[b] · B[b] + bias + residual), register-blocked for GPUs: a 16x16 workgroup
// computes a 128x128 tile of C, each invocation an 8x8 block (rows 4ty..4ty+3 and
// 64+4ty..64+4ty+3, columns likewise with tx), 64 FMAs per 4 vec4 reads of workgroup memory.
// K advances 8 at a time through two 128x8 tiles of A and B in workgroup memory, double
// buffered (16 KiB in all): while the invocations multiply one pair, the next pair's values are
// already loaded into registers, so one barrier per k-tile. The 128x128 candidate of
// `Target::gemm` (`GemmChoice::Large`; the meta block is linalg/gemm.wgsl's).
//
// GEMM_MATMUL: A and B are (batched) matrices addressed through strides; C contiguous [batch, M, N]
//         unless c_cs != 0 (then strided, as in gemm.wgsl).
// The convolution modes (GEMM_CONV2D, GEMM_CONV2D_TRANSPOSE, GEMM_CONV3D, GEMM_CONV3D_TRANSPOSE):
//         A is the im2col view of the input (common/gemm_im2col.wgsl), B the filter as a
//         [taps * IC, OC] matrix (transposed: [taps, OC, IC], never read as vec4).
// K runs from k_off to k, row tiles and batches start at m_off and z_off (see gemm.wgsl).
// VEC4: A read as vec4 (GEMM_MATMUL: A row-major, K a multiple of 4, rows at multiples of 4 floats;
// convolutions: IC a multiple of 4, four channels of one pixel). B_VEC4: B read as vec4 (row-major, N
// a multiple of 4, rows at multiples of 4 floats). Bindings 6 and 7 alias 1 and 2 as vec4.
alias F = f32;
//#include gen/gemm_mode.wgsl
override MODE: u32 = GEMM_MATMUL;
override VEC4: bool = false;
override B_VEC4: bool = false;
override ACT: u32 = ACT_NONE;
override HAS_BIAS: bool = false;
override HAS_RES: bool = false;

//#include gen/meta/gemm.wgsl

@group(0) @binding(0) var<uniform> cfg: GemmMeta;
//#include common/gemm_epilogue.wgsl
//#include common/gemm_bases.wgsl
//#include common/gemm_im2col.wgsl

const BM: u32 = 128u;
const BK: u32 = 8u;

// Two buffers of [BK][BM / 4] vec4 each: element (k, m) of buffer s is tile[s*256 + k*32 + m/4][m%4].
var<workgroup> tile_a: array<vec4<f32>, 512>;
var<workgroup> tile_b: array<vec4<f32>, 512>;

// This invocation's share of the A tile at k0: VEC4, the 4 values (row lid/2, k 4(lid%2)..+3);
// otherwise the values (row idx/8, k idx%8) for idx = lid + 256l, l = 0..3.
fn fetch_a(a_base: u32, m0: u32, k0: u32, lid: u32) -> vec4<f32> {
    var v = vec4<f32>(0.0);
    if (VEC4) {
        let row = m0 + lid / 2u;
        let col = k0 + (lid % 2u) * 4u;
        if (row < cfg.m && col < cfg.k) {
            if (MODE == GEMM_MATMUL) {
                v = vec4<f32>(a4[(a_base + row * cfg.a_rs + col) / 4u]);
            } else {
                let i = a_index(row, col);
                if (i >= 0) {
                    v = vec4<f32>(a4[u32(i) / 4u]);
                }
            }
        }
        return v;
    }
    for (var l = 0u; l < 4u; l++) {
        let idx = lid + l * 256u;
        v[l] = load_a(a_base, m0 + idx / BK, k0 + idx % BK);
    }
    return v;
}

fn put_a(s: u32, lid: u32, v: vec4<f32>) {
    if (VEC4) {
        let m = lid / 2u;
        let k = (lid % 2u) * 4u;
        for (var q = 0u; q < 4u; q++) {
            tile_a[s * 256u + (k + q) * 32u + m / 4u][m % 4u] = v[q];
        }
        return;
    }
    for (var l = 0u; l < 4u; l++) {
        let idx = lid + l * 256u;
        let m = idx / BK;
        let k = idx % BK;
        tile_a[s * 256u + k * 32u + m / 4u][m % 4u] = v[l];
    }
}

fn load_b(b_base: u32, gk: u32, gn: u32) -> f32 {
    if (gk >= cfg.k || gn >= cfg.n) {
        return 0.0;
    }
    if (MODE == GEMM_CONV2D_TRANSPOSE || MODE == GEMM_CONV3D_TRANSPOSE) {
        return f32(b[b_index_transposed(gk, gn)]);
    }
    return f32(b[b_base + gk * cfg.b_rs + gn * cfg.b_cs]);
}

// This invocation's share of the B tile at k0: B_VEC4, the 4 values (k lid/32, columns
// 4(lid%32)..+3); otherwise (k idx/128, column idx%128) for idx = lid + 256l.
fn fetch_b(b_base: u32, n0: u32, k0: u32, lid: u32) -> vec4<f32> {
    var v = vec4<f32>(0.0);
    if (B_VEC4) {
        let gk = k0 + lid / 32u;
        let gn = n0 + (lid % 32u) * 4u;
        if (gk < cfg.k && gn < cfg.n) {
            v = vec4<f32>(b4[(b_base + gk * cfg.b_rs + gn) / 4u]);
        }
        return v;
    }
    for (var l = 0u; l < 4u; l++) {
        let idx = lid + l * 256u;
        v[l] = load_b(b_base, k0 + idx / BM, n0 + idx % BM);
    }
    return v;
}

fn put_b(s: u32, lid: u32, v: vec4<f32>) {
    if (B_VEC4) {
        tile_b[s * 256u + lid] = v;
        return;
    }
    for (var l = 0u; l < 4u; l++) {
        let idx = lid + l * 256u;
        let k = idx / BM;
        let n = idx % BM;
        tile_b[s * 256u + k * 32u + n / 4u][n % 4u] = v[l];
    }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let tx = lid3.x;
    let ty = lid3.y;
    let m0 = cfg.m_off + wid.y * BM;
    let n0 = wid.x * BM;
    let bz = cfg.z_off + wid.z;
    let bases = gemm_bases(bz);
    let a_base = bases.a;
    let b_base = bases.b;
    let c_base = bases.c;
    let c_rs = bases.c_rs;
    let c_cs = bases.c_cs;

    // acc[2i + h]: row (i < 4 ? 4ty + i : 64 + 4ty + i - 4), columns 4tx + 64h .. + 3.
    var acc: array<vec4<f32>, 16>;
    for (var i = 0u; i < 16u; i++) {
        acc[i] = vec4<f32>(0.0);
    }
    let ktiles = (cfg.k - cfg.k_off + BK - 1u) / BK;
    put_a(0u, lid, fetch_a(a_base, m0, cfg.k_off, lid));
    put_b(0u, lid, fetch_b(b_base, n0, cfg.k_off, lid));
    workgroupBarrier();
    for (var t = 0u; t < ktiles; t++) {
        let s = t % 2u;
        let more = t + 1u < ktiles;
        var na = vec4<f32>(0.0);
        var nb = vec4<f32>(0.0);
        if (more) {
            let k1 = cfg.k_off + (t + 1u) * BK;
            na = fetch_a(a_base, m0, k1, lid);
            nb = fetch_b(b_base, n0, k1, lid);
        }
        for (var kk = 0u; kk < BK; kk++) {
            let base = s * 256u + kk * 32u;
            let a_lo = tile_a[base + ty];
            let a_hi = tile_a[base + 16u + ty];
            let b_lo = tile_b[base + tx];
            let b_hi = tile_b[base + 16u + tx];
            for (var i = 0u; i < 4u; i++) {
                acc[2u * i] = fma(vec4<f32>(a_lo[i]), b_lo, acc[2u * i]);
                acc[2u * i + 1u] = fma(vec4<f32>(a_lo[i]), b_hi, acc[2u * i + 1u]);
                acc[8u + 2u * i] = fma(vec4<f32>(a_hi[i]), b_lo, acc[8u + 2u * i]);
                acc[8u + 2u * i + 1u] = fma(vec4<f32>(a_hi[i]), b_hi, acc[8u + 2u * i + 1u]);
            }
        }
        if (more) {
            put_a(1u - s, lid, na);
            put_b(1u - s, lid, nb);
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 8u; i++) {
        let row = m0 + (i / 4u) * 64u + 4u * ty + i % 4u;
        if (row >= cfg.m) {
            continue;
        }
        for (var j = 0u; j < 8u; j++) {
            let col = n0 + (j / 4u) * 64u + 4u * tx + j % 4u;
            if (col >= cfg.n) {
                continue;
            }
            var v = acc[2u * i + j / 4u][j % 4u];
            if (HAS_BIAS) {
                v = v + f32(bias[col]);
            }
            let ci = c_base + row * c_rs + col * c_cs;
            if (HAS_RES) {
                v = v + f32(res[ci]);
            }
            c[ci] = F(act(v, col));
        }
    }
}
