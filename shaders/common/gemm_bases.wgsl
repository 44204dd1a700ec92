// Where batch `bz`'s operands and output start, shared by linalg/gemm.wgsl and
// linalg/gemm_large.wgsl (whose `cfg` is a GemmMeta): included with
// `//#include common/gemm_bases.wgsl`. A's and B's bases through their two batch strides; C's
// base and row and column strides: contiguous [batch, M, N], or an einsum's own output order
// when `c_cs` is not 0.
struct GemmBases {
    a: u32,
    b: u32,
    c: u32,
    c_rs: u32,
    c_cs: u32,
}

fn gemm_bases(bz: u32) -> GemmBases {
    let b0 = bz / cfg.batch_inner;
    let b1 = bz - b0 * cfg.batch_inner;
    var g = GemmBases(b0 * cfg.a_bs0 + b1 * cfg.a_bs1, b0 * cfg.b_bs0 + b1 * cfg.b_bs1, bz * cfg.m * cfg.n, cfg.n, 1u);
    if (cfg.c_cs != 0u) {
        g.c = b0 * cfg.c_bs0 + b1 * cfg.c_bs1;
        g.c_rs = cfg.c_rs;
        g.c_cs = cfg.c_cs;
    }
    return g;
}
