// C[b] = act(A[b] · B[b] + bias), tiled: a 16x16 workgroup computes a 64x64 tile of C, each
// invocation a 4x4 block, with 64x16 tiles of A and B staged in workgroup memory.
//
// GEMM_MATMUL: A and B are (batched) matrices addressed through strides, so transposes cost nothing.
// GEMM_CONV2D: A is the im2col view of an NHWC image (Conv2D as implicit GEMM, never materialised);
//         B is the HWIO filter seen as a [KH*KW*IC, OC] matrix.
// GEMM_CONV2D_TRANSPOSE: transposed convolution (Conv2DBackpropInput): row = (image, oy, ox) of the output,
//         col = (ky, kx, ic) reads x[iy, ix] where oy + pt = iy*sh + ky*dh (zero when not on
//         the stride grid); B is the [KH, KW, OC, IC] filter read as B[(ky,kx,ic), oc].
// GEMM_CONV3D: A is the im2col view of an NDHWC volume (Conv3D), B the [KD*KH*KW*IC, OC] filter.
// GEMM_CONV3D_TRANSPOSE: 3-D transposed convolution (Conv3DBackpropInputV2), as GEMM_CONV2D_TRANSPOSE with a depth dim; the
//         filter is [KD, KH, KW, OC, IC].
// Epilogue: c = act(acc + bias[col] + res[c index]); ACT codes of common/activation.wgsl
// (ACT_PRELU's slopes follow the N biases: bias[n + col]).
// C is contiguous [batch, M, N] unless c_cs != 0: then C(b0, b1, m, n) is at
// b0*c_bs0 + b1*c_bs1 + m*c_rs + n*c_cs (an einsum writing its output order directly).
// K runs from k_off (0 but for parts of a K too long for one dispatch's loop, whose partial
// products the host chains through the residual) to k. Row tiles and batches start at m_off
// and z_off: more than 65,535 of either go in several dispatches.
// VEC4 (GEMM_MATMUL; A and B row-major, K and N multiples of 4, rows starting at multiples of 4
// floats): the tiles are loaded as vec4 (bindings 6 and 7 alias bindings 1 and 2), one vec4 of
// A and one of B per invocation and k-tile.
alias F = f32;
//#include gen/gemm_mode.wgsl
override MODE: u32 = GEMM_MATMUL;
override VEC4: bool = false;
override ACT: u32 = ACT_NONE;
override HAS_BIAS: bool = false;
override HAS_RES: bool = false;

//#include gen/meta/gemm.wgsl

@group(0) @binding(0) var<uniform> cfg: GemmMeta;
//#include common/gemm_epilogue.wgsl
//#include common/gemm_bases.wgsl
//#include common/gemm_im2col.wgsl

const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 16u;

var<workgroup> tile_a: array<f32, 1024>; // [BK][BM]
var<workgroup> tile_b: array<f32, 1024>; // [BK][BN]

fn load_b(b_base: u32, gk: u32, gn: u32) -> f32 {
    if (gk >= cfg.k || gn >= cfg.n) {
        return 0.0;
    }
    if (MODE == GEMM_CONV2D_TRANSPOSE || MODE == GEMM_CONV3D_TRANSPOSE) {
        return f32(b[b_index_transposed(gk, gn)]);
    }
    return f32(b[b_base + gk * cfg.b_rs + gn * cfg.b_cs]);
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let tx = lid3.x;
    let ty = lid3.y;
    let m0 = cfg.m_off + wid.y * BM;
    let n0 = wid.x * BN;
    let bz = cfg.z_off + wid.z;
    let bases = gemm_bases(bz);
    let a_base = bases.a;
    let b_base = bases.b;
    let c_base = bases.c;
    let c_rs = bases.c_rs;
    let c_cs = bases.c_cs;

    var acc: array<array<f32, 4>, 4>;
    for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
            acc[i][j] = 0.0;
        }
    }
    // K from k_off to k (a part of a longer K: see the header).
    let ktiles = (cfg.k - cfg.k_off + BK - 1u) / BK;
    for (var t = 0u; t < ktiles; t++) {
        let k0 = cfg.k_off + t * BK;
        if (VEC4) {
            // A tile: invocation -> (row am, cols ak..ak+4); B tile: (row bk, cols bn..bn+4).
            let am = lid / 4u;
            let ak = (lid % 4u) * 4u;
            var va = vec4<f32>(0.0);
            if (m0 + am < cfg.m && k0 + ak < cfg.k) {
                va = vec4<f32>(a4[(a_base + (m0 + am) * cfg.a_rs + k0 + ak) / 4u]);
            }
            tile_a[ak * BM + am] = va.x;
            tile_a[(ak + 1u) * BM + am] = va.y;
            tile_a[(ak + 2u) * BM + am] = va.z;
            tile_a[(ak + 3u) * BM + am] = va.w;
            let bk = lid / 16u;
            let bn = (lid % 16u) * 4u;
            var vb = vec4<f32>(0.0);
            if (k0 + bk < cfg.k && n0 + bn < cfg.n) {
                vb = vec4<f32>(b4[(b_base + (k0 + bk) * cfg.b_rs + n0 + bn) / 4u]);
            }
            tile_b[bk * BN + bn] = vb.x;
            tile_b[bk * BN + bn + 1u] = vb.y;
            tile_b[bk * BN + bn + 2u] = vb.z;
            tile_b[bk * BN + bn + 3u] = vb.w;
        }
        for (var l = 0u; l < 4u && !VEC4; l++) {
            let idx = lid + l * 256u;
            // A tile: idx -> (row am, col ak), stored [ak][am].
            let am = idx / BK;
            let ak = idx - am * BK;
            tile_a[ak * BM + am] = load_a(a_base, m0 + am, k0 + ak);
            // B tile: idx -> (row bk, col bn), stored [bk][bn].
            let bk = idx / BN;
            let bn = idx - bk * BN;
            tile_b[bk * BN + bn] = load_b(b_base, k0 + bk, n0 + bn);
        }
        workgroupBarrier();
        for (var kk = 0u; kk < BK; kk++) {
            var av: array<f32, 4>;
            var bv: array<f32, 4>;
            for (var i = 0u; i < 4u; i++) {
                av[i] = tile_a[kk * BM + ty + 16u * i];
                bv[i] = tile_b[kk * BN + tx + 16u * i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i][j] = fma(av[i], bv[j], acc[i][j]);
                }
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let row = m0 + ty + 16u * i;
        if (row >= cfg.m) {
            continue;
        }
        for (var j = 0u; j < 4u; j++) {
            let col = n0 + tx + 16u * j;
            if (col >= cfg.n) {
                continue;
            }
            var v = acc[i][j];
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
