// The entry points of the binary elementwise kernels (binary_float, binary_int, compare):
// included with `//#include common/binary_entries.wgsl`. The includer defines its Meta `cfg`
// (n, rank, shape, sa, sb, magic, shifts: see src/ops/util.rs binary_kernel) and
// `fn store(i: u32, ia: u32, ib: u32)`, which writes output i from a[ia] and b[ib].

// Operands with the output's shape: no index arithmetic.
@compute @workgroup_size(256)
fn dense(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (i >= cfg.n) {
        return;
    }
    store(i, i, i);
}

// Broadcasting: the output index decomposed over `shape` (divisions by multipliers), then
// mapped through each operand's strides (0 on broadcast dims).
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (i >= cfg.n) {
        return;
    }
    var rem = i;
    var ia = 0u;
    var ib = 0u;
    for (var d = i32(cfg.rank) - 1; d >= 0; d = d - 1) {
        let ud = u32(d);
        let q = div_magic(rem, cfg.magic[ud >> 2u][ud & 3u], cfg.shifts[ud >> 2u][ud & 3u]);
        let coord = rem - q * cfg.shape[ud >> 2u][ud & 3u];
        rem = q;
        ia += coord * cfg.sa[ud >> 2u][ud & 3u];
        ib += coord * cfg.sb[ud >> 2u][ud & 3u];
    }
    store(i, ia, ib);
}
