// ArgMax (OP ARG_MAX) / ArgMin (ARG_MIN) over one axis: the input seen as [outer, len, inner], one
// workgroup per output element and part; ties go to the lowest index (as TensorFlow). T: the
// input's element type; O: the output's (i32, or i64 for int64 outputs on adapters with
// SHADER_INT64).
// `main`: each output's axis in `parts` of `chunk` (so that no invocation loops more than the
// host's loop budget); y[o * parts + p] gets the part's winning index along the axis. With
// more than one part, `merge` picks each output's winner among its parts' (binding 3).
// `serial`: one invocation per output, for short axes.
alias T = f32;
alias O = i32;
//#include gen/arg_op.wgsl
override OP: u32 = ARG_MAX;

//#include gen/meta/arg.wgsl

@group(0) @binding(0) var<uniform> cfg: ArgMeta;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<O>;
// merge: the parts' winning indices, [n_out, parts].
@group(0) @binding(3) var<storage, read> part_idx: array<O>;

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
    var wins = v > w;
    switch OP {
        case ARG_MIN: { wins = v < w; }
        case ARG_MAX, default: {}
    }
    return wins;
}

// The workgroup's winner among every invocation's (bv, bi) (call in uniform control flow).
fn group_best(bv: T, bi: u32, lid: u32) -> u32 {
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
    return best_i[0];
}

// Where output o's line starts in x.
fn line_base(o: u32) -> u32 {
    return (o / cfg.inner) * cfg.len * cfg.inner + o % cfg.inner;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let w = (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
    // Every invocation reaches the barriers; only valid outputs are written.
    let valid = w < cfg.n_out * cfg.parts;
    var bv = T(0);
    var bi = 0xffffffffu;
    if (valid) {
        let o = w / cfg.parts;
        let r0 = (w - o * cfg.parts) * cfg.chunk;
        let r1 = min(r0 + cfg.chunk, cfg.len);
        let base = line_base(o);
        for (var r = r0 + lid; r < r1; r += 256u) {
            let v = x[base + r * cfg.inner];
            if (better(v, r, bv, bi)) {
                bv = v;
                bi = r;
            }
        }
    }
    let best = group_best(bv, bi, lid);
    if (valid && lid == 0u) {
        y[w] = O(best);
    }
}

@compute @workgroup_size(256)
fn merge(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
    let o = (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
    let valid = o < cfg.n_out;
    var bv = T(0);
    var bi = 0xffffffffu;
    if (valid) {
        let base = line_base(o);
        for (var p = lid; p < cfg.parts; p += 256u) {
            let r = u32(part_idx[o * cfg.parts + p]);
            let v = x[base + r * cfg.inner];
            if (better(v, r, bv, bi)) {
                bv = v;
                bi = r;
            }
        }
    }
    let best = group_best(bv, bi, lid);
    if (valid && lid == 0u) {
        y[o] = O(best);
    }
}

// One invocation per output, for short axes (at most the host's loop budget) over many
// outputs, where a workgroup per output would mostly idle.
@compute @workgroup_size(64)
fn serial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let o = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 64u + lid;
    if (o >= cfg.n_out) {
        return;
    }
    let base = line_base(o);
    var bv = x[base];
    var bi = 0u;
    for (var r = 1u; r < cfg.len; r++) {
        let v = x[base + r * cfg.inner];
        if (better(v, r, bv, bi)) {
            bv = v;
            bi = r;
        }
    }
    y[o] = O(bi);
}
