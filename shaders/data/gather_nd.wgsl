// GatherNd: indices seen as [m, q] (each row addresses the first q dims of params), params as
// [dims_0 … dims_{q-1}, inner]; out[r, i] = params[index(r), i], or 0 when an index is out of
// range. Elements are 32-bit words.
//#include gen/meta/index_nd.wgsl

@group(0) @binding(0) var<uniform> cfg: IndexNdMeta;
@group(0) @binding(1) var<storage, read> params: array<u32>;
@group(0) @binding(2) var<storage, read> indices: array<i32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let t = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (t >= cfg.count) {
        return;
    }
    let i = t % cfg.inner;
    let r = t / cfg.inner;
    var off = 0u;
    for (var d = 0u; d < cfg.q; d++) {
        let dim = cfg.dims[d / 4u][d % 4u];
        let idx = indices[r * cfg.q + d];
        if (idx < 0 || u32(idx) >= dim) {
            y[t] = 0u;
            return;
        }
        off = off * dim + u32(idx);
    }
    y[t] = params[off * cfg.inner + i];
}
