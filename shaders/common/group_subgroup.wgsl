// Workgroup-wide reductions of 256 invocations with subgroup operations: each subgroup reduces
// its values, then every invocation combines the subgroups' results in subgroup order (so the
// result does not depend on scheduling). Replaces common/group_tree.wgsl where the adapter has
// subgroups (f32 and i32 only); the includer also defines `fn is_nan_t(v: T) -> bool`.
// Op codes: `ReduceOp` (src/kernel/codes.rs).
//#include gen/reduce_op.wgsl

struct Ids {
    lid: u32,
    sg: u32,
    nsg: u32,
    lane: u32,
}

var<workgroup> group_scratch: array<T, 256>;

fn subgroup_op(op: u32, v: T) -> T {
    switch op {
        // Max and Min propagate NaN, whatever the subgroup operation does with it.
        case REDUCE_MAX: { return select(subgroupMax(v), bitcast<T>(0x7fc00000u), subgroupAny(is_nan_t(v))); }
        case REDUCE_MIN: { return select(subgroupMin(v), bitcast<T>(0x7fc00000u), subgroupAny(is_nan_t(v))); }
        case REDUCE_PROD: { return subgroupMul(v); }
        case REDUCE_ALL: { return select(T(0), T(1), subgroupAll(v != T(0))); }
        case REDUCE_ANY: { return select(T(0), T(1), subgroupAny(v != T(0))); }
        case REDUCE_SUM, REDUCE_MEAN, REDUCE_EUCLIDEAN_NORM, default: { return subgroupAdd(v); }
    }
}

// `v` of every invocation combined with `op` (call in uniform control flow).
fn group_reduce(v: T, op: u32, ids: Ids) -> T {
    let s = subgroup_op(op, v);
    if (ids.lane == 0u) {
        group_scratch[ids.sg] = s;
    }
    workgroupBarrier();
    var t = group_scratch[0];
    for (var i = 1u; i < ids.nsg; i++) {
        t = combine_op(op, t, group_scratch[i]);
    }
    workgroupBarrier();
    return t;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_id) sg: u32,
        @builtin(num_subgroups) nsg: u32, @builtin(subgroup_invocation_id) lane: u32) {
    run(wid, nwg, Ids(lid, sg, nsg, lane));
}
