// OneHot: the output seen as [outer, depth, inner], indices as [outer, inner];
// out[o, d, i] = on if indices[o, i] == d else off (32-bit patterns from the meta block).
//#include gen/meta/one_hot.wgsl

@group(0) @binding(0) var<uniform> cfg: OneHotMeta;
@group(0) @binding(1) var<storage, read> indices: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let t = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (t >= cfg.count) {
        return;
    }
    let i = t % cfg.inner;
    let r = t / cfg.inner;
    let d = r % cfg.depth;
    let o = r / cfg.depth;
    y[t] = select(cfg.off, cfg.on, indices[o * cfg.inner + i] == i32(d));
}
