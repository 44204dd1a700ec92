// GatherV2: params seen as [batch, outer, n, inner], indices as [batch, k]; the output is
// [batch, outer, k, inner]. out[b, o, j, i] = params[b, o, indices[b, j], i], or 0 when the
// index is outside [0, n) (TensorFlow's GPU behaviour). Elements are 32-bit words (64-bit
// elements are pairs: `inner` counts words). IDX64: the indices are 64-bit (low, high words).
override IDX64: bool = false;
//#include gen/meta/gather.wgsl

@group(0) @binding(0) var<uniform> cfg: GatherMeta;
@group(0) @binding(1) var<storage, read> params: array<u32>;
@group(0) @binding(2) var<storage, read> indices: array<i32>;

// The index at `at`; an int64 index outside the int32 range reads as -1 (out of range).
fn index(at: u32) -> i32 {
    if (!IDX64) {
        return indices[at];
    }
    let lo = indices[2u * at];
    let hi = indices[2u * at + 1u];
    return select(-1, lo, hi == (lo >> 31u));
}
@group(0) @binding(3) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let t = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (t >= cfg.count) {
        return;
    }
    let i = t % cfg.inner;
    var r = t / cfg.inner;
    let j = r % cfg.k;
    r = r / cfg.k;
    let o = r % cfg.outer;
    let b = r / cfg.outer;
    let idx = index(b * cfg.k + j);
    if (idx < 0 || u32(idx) >= cfg.n) {
        y[t] = 0u;
        return;
    }
    y[t] = params[((b * cfg.outer + o) * cfg.n + u32(idx)) * cfg.inner + i];
}
