// C[b] = A[b] · B[b] for integer matrices (int32 index arithmetic of real models: exact, with
// two's-complement wrapping like TensorFlow's CPU kernels), one invocation per element of C.
// A(m, k) = a[batch base + m·a_rs + k·a_cs], likewise B; C is contiguous [batch, M, N]; the
// batch is two dims (outer, inner), each with its own strides in A and B.
alias T = i32;

//#include gen/meta/gemm_int.wgsl

@group(0) @binding(0) var<uniform> cfg: GemmIntMeta;
@group(0) @binding(1) var<storage, read> a: array<T>;
@group(0) @binding(2) var<storage, read> b: array<T>;
@group(0) @binding(3) var<storage, read_write> c: array<T>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (i >= cfg.count) {
        return;
    }
    let col = i % cfg.n;
    let row = (i / cfg.n) % cfg.m;
    let batch = i / (cfg.n * cfg.m);
    let bi = batch % cfg.batch_inner;
    let bo = batch / cfg.batch_inner;
    let a0 = bo * cfg.a_bs0 + bi * cfg.a_bs1 + row * cfg.a_rs;
    let b0 = bo * cfg.b_bs0 + bi * cfg.b_bs1 + col * cfg.b_cs;
    var acc = T(0);
    for (var q = 0u; q < cfg.k; q++) {
        acc += a[a0 + q * cfg.a_cs] * b[b0 + q * cfg.b_rs];
    }
    c[i] = acc;
}
