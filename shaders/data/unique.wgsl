// Unique (1-D): y holds the distinct values of x in order of first appearance, idx[i] the
// position in y of x[i]; y's length (count) depends on the data. Three stages:
// UNIQUE_FIRST, one invocation per element: first[i] = the first j with x[j] == x[i] (NaN equals
// nothing, as TensorFlow's hash of floats: every NaN is its own value).
// UNIQUE_POSITIONS, one invocation: the first occurrences, in order, get their positions in y (pos[i]),
// are written to y, and counted.
// UNIQUE_INDICES, one invocation per element: idx[i] = pos[first[i]].
// Every loop is at most n steps; planning keeps n within the loop budget.
alias T = f32;
//#include gen/unique_stage.wgsl
override STAGE: u32 = UNIQUE_FIRST;

//#include gen/meta/count.wgsl

@group(0) @binding(0) var<uniform> cfg: CountMeta;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<T>;
@group(0) @binding(3) var<storage, read_write> idx: array<i32>;
@group(0) @binding(4) var<storage, read_write> first: array<u32>;
@group(0) @binding(5) var<storage, read_write> count: array<i32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (STAGE == UNIQUE_POSITIONS) {
        if (i != 0u) {
            return;
        }
        var c = 0u;
        for (var j = 0u; j < cfg.n; j++) {
            if (first[j] == j) {
                y[c] = x[j];
                // Positions of first occurrences reuse `idx` until UNIQUE_INDICES rewrites it.
                idx[j] = i32(c);
                c += 1u;
            }
        }
        count[0] = i32(c);
        return;
    }
    if (i >= cfg.n) {
        return;
    }
    if (STAGE == UNIQUE_FIRST) {
        let v = x[i];
        var f = i;
        for (var j = 0u; j < i; j++) {
            if (x[j] == v) {
                f = j;
                break;
            }
        }
        first[i] = f;
        return;
    }
    if (STAGE != UNIQUE_INDICES) {
        return;
    }
    let f = first[i];
    if (f != i) {
        idx[i] = idx[f];
    }
}
