// Softmax (LOG = 0) or LogSoftmax (LOG = 1) over the last axis: one workgroup per row, with
// workgroup-shared tree reductions for the row's maximum and sum.
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

var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
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
    red[lid] = m;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if (lid < s) {
            red[lid] = max(red[lid], red[lid + s]);
        }
        workgroupBarrier();
    }
    let row_max = red[0];
    workgroupBarrier();
    var sum = 0.0;
    for (var j = lid; j < cfg.cols; j += 256u) {
        sum += exp(x[base + j] - row_max);
    }
    red[lid] = sum;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if (lid < s) {
            red[lid] = red[lid] + red[lid + s];
        }
        workgroupBarrier();
    }
    let total = red[0];
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
