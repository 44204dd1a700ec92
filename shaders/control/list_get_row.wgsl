// out = row `idx[0]` of a stacked list [rows, row_len] — TensorListGetItem / TensorArrayRead
// with an index computed on the GPU (in a loop whose trip count depends on data). An index out
// of range reads zeros. Elements are copied as 32-bit words, whatever their type.
//#include gen/meta/list_row.wgsl

@group(0) @binding(0) var<uniform> cfg: ListRowMeta;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read> src: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (i >= cfg.row_len) {
        return;
    }
    let r = idx[0];
    if (r < 0 || u32(r) >= cfg.rows) {
        dst[i] = 0u;
        return;
    }
    dst[i] = src[u32(r) * cfg.row_len + i];
}
