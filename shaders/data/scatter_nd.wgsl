// ScatterNd: adds each update row into an output that a previous kernel zeroed. indices are
// [m, q] (each row addresses the first q dims of the output), updates [m, inner]. Duplicate
// indices accumulate through atomics: a compare-exchange loop for f32 (FLOAT), atomicAdd
// for 32-bit integers. Out-of-range rows are skipped. ASSIGN (SparseToDense): each update is
// stored instead of added (over an output a previous kernel filled with the default value).
override FLOAT: bool = true;
override ASSIGN: bool = false;

//#include gen/meta/index_nd.wgsl

@group(0) @binding(0) var<uniform> cfg: IndexNdMeta;
@group(0) @binding(1) var<storage, read> indices: array<i32>;
@group(0) @binding(2) var<storage, read> updates: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<atomic<u32>>;

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
            return;
        }
        off = off * dim + u32(idx);
    }
    let p = off * cfg.inner + i;
    let u = updates[t];
    if (ASSIGN) {
        atomicStore(&y[p], u);
        return;
    }
    if (FLOAT) {
        var old = atomicLoad(&y[p]);
        loop {
            let next = bitcast<u32>(bitcast<f32>(old) + bitcast<f32>(u));
            let r = atomicCompareExchangeWeak(&y[p], old, next);
            if (r.exchanged) {
                break;
            }
            old = r.old_value;
        }
    } else {
        atomicAdd(&y[p], u);
    }
}
