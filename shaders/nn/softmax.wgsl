// Softmax (LOG = 0) or LogSoftmax (LOG = 1) over the last axis: one workgroup per row, with
// workgroup-wide reductions for the row's maximum and sum (common/group_tree.wgsl, or
// common/group_subgroup.wgsl where the adapter has subgroups).
alias T = f32;
override LOG: u32 = 0u;

struct Meta {
    rows: u32,
    cols: u32,
    _p0: u32,
    _p1: u32,
}

@group(0) @binding(0) var<uniform> cfg: Meta;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// Op codes of group_reduce: 2 max, 0 sum.
fn combine_op(op: u32, p: f32, q: f32) -> f32 {
    return select(p + q, max(p, q), op == 2u);
}

fn is_nan_t(v: f32) -> bool {
    return false;
}

//#include common/group_tree.wgsl

fn run(wid: vec3<u32>, nwg: vec3<u32>, ids: Ids) {
    let lid = ids.lid;
    let row = (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
    // Uniform control flow: every invocation of the group takes the same branch.
    if (row >= cfg.rows) {
        return;
    }
    let base = row * cfg.cols;
    var m = -3.402823466e+38;
    for (var j = lid; j < cfg.cols; j += 256u) {
        m = max(m, x[base + j]);
    }
    let row_max = group_reduce(m, 2u, ids);
    var sum = 0.0;
    for (var j = lid; j < cfg.cols; j += 256u) {
        sum += exp(x[base + j] - row_max);
    }
    let total = group_reduce(sum, 0u, ids);
    if (LOG == 0u) {
        let inv = 1.0 / total;
        for (var j = lid; j < cfg.cols; j += 256u) {
            y[base + j] = exp(x[base + j] - row_max) * inv;
        }
    } else {
        let lt = log(total);
        for (var j = lid; j < cfg.cols; j += 256u) {
            y[base + j] = x[base + j] - row_max - lt;
        }
    }
}
