// ArgMax (OP 0) / ArgMin (OP 1) over one axis: the input seen as [outer, len, inner], one
// workgroup per output element; ties go to the lowest index (as TensorFlow). T: the input's element type; O: the output's
// (i32, or i64 for int64 outputs on adapters with SHADER_INT64).
alias T = f32;
alias O = i32;
override OP: u32 = 0u;

struct Meta {
    n_out: u32,
    len: u32,
    inner: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> cfg: Meta;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<O>;

var<workgroup> best_v: array<T, 256>;
var<workgroup> best_i: array<u32, 256>;

// Whether (v, i) beats (w, j).
fn better(v: T, i: u32, w: T, j: u32) -> bool {
    if (j == 0xffffffffu) {
        return i != 0xffffffffu;
    }
    if (i == 0xffffffffu) {
        return false;
    }
    if (v == w) {
        return i < j;
    }
    if (OP == 0u) {
        return v > w;
    }
    return v < w;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let o = (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
    // Every invocation reaches the barriers; only valid outputs are written.
    let valid = o < cfg.n_out;
    var bv = T(0);
    var bi = 0xffffffffu;
    if (valid) {
        let base = (o / cfg.inner) * cfg.len * cfg.inner + o % cfg.inner;
        for (var r = lid; r < cfg.len; r += 256u) {
            let v = x[base + r * cfg.inner];
            if (better(v, r, bv, bi)) {
                bv = v;
                bi = r;
            }
        }
    }
    best_v[lid] = bv;
    best_i[lid] = bi;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if (lid < s && better(best_v[lid + s], best_i[lid + s], best_v[lid], best_i[lid])) {
            best_v[lid] = best_v[lid + s];
            best_i[lid] = best_i[lid + s];
        }
        workgroupBarrier();
    }
    if (valid && lid == 0u) {
        y[o] = O(best_i[0]);
    }
}
