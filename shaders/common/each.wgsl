// The entry point of kernels with one invocation per element (or word): included with
// `//#include common/each.wgsl`. The includer's `cfg` has the element count `n`, and the
// includer defines `fn each(i: u32)`, run for every i < cfg.n. Grids above 65,535 workgroups
// are spread over 2-D and 3-D (`grid` in src/kernel/shader.rs): the linear index is rebuilt
// from `num_workgroups`.

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (i >= cfg.n) {
        return;
    }
    each(i);
}
