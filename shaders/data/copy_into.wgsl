// Writes a whole input into a region of the output: out[base + sum_d coord_d(i) * stride_d] =
// in[i], coordinates over the input's shape (concatenation, stacking). 32-bit words.
struct Meta {
    n: u32,
    rank: u32,
    base: u32,
    _pad: u32,
    shape: array<vec4<u32>, 2>,
    strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> cfg: Meta;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (i >= cfg.n) {
        return;
    }
    var rem = i;
    var off = cfg.base;
    for (var d = i32(cfg.rank) - 1; d >= 0; d--) {
        let dim = cfg.shape[u32(d) / 4u][u32(d) % 4u];
        off += (rem % dim) * cfg.strides[u32(d) / 4u][u32(d) % 4u];
        rem /= dim;
    }
    dst[off] = src[i];
}
