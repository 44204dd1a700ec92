// TopKV2 on the last dim, rows of `len`: each invocation ranks one element of its row (how
// many elements are larger, NaN largest, ties to the lower index) and, when the rank is below
// k, writes the value and its index to that position. Sorted output, exact, one pass.
alias T = f32;

struct Meta {
    count: u32,
    len: u32,
    k: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> cfg: Meta;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> values: array<T>;
@group(0) @binding(3) var<storage, read_write> indices: array<i32>;

// A total order: NaN above every number, equal NaNs tie (so ranks form a permutation).
fn above(w: T, v: T) -> bool {
    if (w != w) {
        return v == v;
    }
    return w > v;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let t = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (t >= cfg.count) {
        return;
    }
    let row = t / cfg.len;
    let j = t % cfg.len;
    let base = row * cfg.len;
    let v = x[t];
    var rank = 0u;
    for (var q = 0u; q < cfg.len && rank < cfg.k; q++) {
        let w = x[base + q];
        if (above(w, v) || (!above(v, w) && q < j)) {
            rank += 1u;
        }
    }
    if (rank < cfg.k) {
        values[row * cfg.k + rank] = v;
        indices[row * cfg.k + rank] = i32(j);
    }
}
