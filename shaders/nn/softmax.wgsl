// Softmax, or LogSoftmax where LOG, over the last axis: one workgroup per row, with
// workgroup-wide reductions for the row's maximum and sum (common/group_tree.wgsl, or
// common/group_subgroup.wgsl where the adapter has subgroups).
// Rows longer than the host's loop budget allows a workgroup take three passes: SOFTMAX_STATS
// (a workgroup per row and part of `chunk` columns: the part's maximum and its sum of
// exp(x - maximum)), SOFTMAX_COMBINE (a workgroup per row: the row's maximum and sum from its
// parts') and `apply` (an invocation per element, from its row's two).
alias F = f32;
alias T = f32;
override LOG: bool = false;
// Whole rows, or the multi-pass form's first passes (`stats`, `combine`).
//#include gen/softmax_stage.wgsl
override STAGE: u32 = SOFTMAX_WHOLE;

//#include gen/meta/softmax.wgsl

@group(0) @binding(0) var<uniform> cfg: SoftmaxMeta;
@group(0) @binding(1) var<storage, read> x: array<F>;
@group(0) @binding(2) var<storage, read_write> y: array<F>;
// apply: each row's maximum and sum, [rows, 2].
@group(0) @binding(3) var<storage, read> row_stats: array<f32>;

// Op codes of group_reduce: `ReduceOp`.
//#include gen/reduce_op.wgsl
fn combine_op(op: u32, p: f32, q: f32) -> f32 {
    return select(p + q, max(p, q), op == 2u);
}

fn is_nan_t(v: f32) -> bool {
    return false;
}

//#include common/group_tree.wgsl

// The smallest float: the maximum's start (not -inf, so that exp(x - max) of a part or row
// of -inf is 0, not NaN).
const LOWEST: f32 = -3.402823466e+38;

fn run(wid: vec3<u32>, nwg: vec3<u32>, ids: Ids) {
    let w = (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
    switch STAGE {
        case SOFTMAX_STATS: { stats(w, ids); }
        case SOFTMAX_COMBINE: { combine(w, ids); }
        case SOFTMAX_WHOLE, default: { whole(w, ids); }
    }
}

fn whole(row: u32, ids: Ids) {
    let lid = ids.lid;
    // Uniform control flow: every invocation of the group takes the same branch.
    if (row >= cfg.rows) {
        return;
    }
    let base = row * cfg.cols;
    var m = LOWEST;
    for (var j = lid; j < cfg.cols; j += 256u) {
        m = max(m, f32(x[base + j]));
    }
    let row_max = group_reduce(m, REDUCE_MAX, ids);
    var sum = 0.0;
    for (var j = lid; j < cfg.cols; j += 256u) {
        sum += exp(f32(x[base + j]) - row_max);
    }
    let total = group_reduce(sum, REDUCE_SUM, ids);
    if (!LOG) {
        let inv = 1.0 / total;
        for (var j = lid; j < cfg.cols; j += 256u) {
            y[base + j] = F(exp(f32(x[base + j]) - row_max) * inv);
        }
    } else {
        let lt = log(total);
        for (var j = lid; j < cfg.cols; j += 256u) {
            y[base + j] = F(f32(x[base + j]) - row_max - lt);
        }
    }
}

fn out(v: f32, row_max: f32, total: f32) -> f32 {
    if (!LOG) {
        return exp(v - row_max) / total;
    }
    return v - row_max - log(total);
}

// A part's maximum and sum of exp(x - maximum): y[w * 2], y[w * 2 + 1] for w = row * parts + p.
fn stats(w: u32, ids: Ids) {
    let lid = ids.lid;
    if (w >= cfg.rows * cfg.parts) {
        return;
    }
    let row = w / cfg.parts;
    let j0 = (w - row * cfg.parts) * cfg.chunk;
    let j1 = min(j0 + cfg.chunk, cfg.cols);
    let base = row * cfg.cols;
    var m = LOWEST;
    for (var j = j0 + lid; j < j1; j += 256u) {
        m = max(m, f32(x[base + j]));
    }
    let part_max = group_reduce(m, REDUCE_MAX, ids);
    var sum = 0.0;
    for (var j = j0 + lid; j < j1; j += 256u) {
        sum += exp(f32(x[base + j]) - part_max);
    }
    let total = group_reduce(sum, REDUCE_SUM, ids);
    if (lid == 0u) {
        y[w * 2u] = F(part_max);
        y[w * 2u + 1u] = F(total);
    }
}

// A row's maximum and sum from its parts' (x: [rows, parts, 2]): y[row * 2], y[row * 2 + 1].
fn combine(row: u32, ids: Ids) {
    let lid = ids.lid;
    if (row >= cfg.rows) {
        return;
    }
    let base = row * cfg.parts * 2u;
    var m = LOWEST;
    for (var p = lid; p < cfg.parts; p += 256u) {
        m = max(m, f32(x[base + p * 2u]));
    }
    let row_max = group_reduce(m, REDUCE_MAX, ids);
    var sum = 0.0;
    for (var p = lid; p < cfg.parts; p += 256u) {
        sum += f32(x[base + p * 2u + 1u]) * exp(f32(x[base + p * 2u]) - row_max);
    }
    let total = group_reduce(sum, REDUCE_SUM, ids);
    if (lid == 0u) {
        y[row * 2u] = F(row_max);
        y[row * 2u + 1u] = F(total);
    }
}

@compute @workgroup_size(256)
fn apply(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (i >= cfg.rows * cfg.cols) {
        return;
    }
    let row = i / cfg.cols;
    y[i] = F(out(f32(x[i]), f32(row_stats[row * 2u]), f32(row_stats[row * 2u + 1u])));
}
