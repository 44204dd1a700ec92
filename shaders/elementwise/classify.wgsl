// Classifies float32 values by their bits (robust to fast-math folding of NaN tests):
// OP 0: is NaN, 1: is ±inf, 2: is finite. Output: bool as i32 0/1.
override OP: u32 = 0u;

struct Meta {
    n: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> cfg: Meta;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<i32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (i >= cfg.n) {
        return;
    }
    let bits = x[i];
    let exp_all_ones = (bits & 0x7f800000u) == 0x7f800000u;
    let mant = bits & 0x007fffffu;
    var r = false;
    switch OP {
        case 0u: { r = exp_all_ones && mant != 0u; }
        case 1u: { r = exp_all_ones && mant == 0u; }
        default: { r = !exp_all_ones; }
    }
    y[i] = select(0, 1, r);
}
