// Workgroup-wide reductions of 256 invocations through a shared-memory tree, for adapters
// without subgroups: included with `//#include common/group_tree.wgsl`, which a variant swaps
// for common/group_subgroup.wgsl (same functions, same entry point) where the adapter has
// subgroups. The includer defines T, `fn combine_op(op: u32, p: T, q: T) -> T` and
// `fn run(wid: vec3<u32>, nwg: vec3<u32>, ids: Ids)`; `main` calls `run`.

struct Ids {
    lid: u32,
    sg: u32,
    nsg: u32,
    lane: u32,
}

var<workgroup> group_scratch: array<T, 256>;

// `v` of every invocation combined with `op` (call in uniform control flow).
fn group_reduce(v: T, op: u32, ids: Ids) -> T {
    group_scratch[ids.lid] = v;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if (ids.lid < s) {
            group_scratch[ids.lid] = combine_op(op, group_scratch[ids.lid], group_scratch[ids.lid + s]);
        }
        workgroupBarrier();
    }
    let r = group_scratch[0];
    workgroupBarrier();
    return r;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    run(wid, nwg, Ids(lid, 0u, 1u, lid));
}
