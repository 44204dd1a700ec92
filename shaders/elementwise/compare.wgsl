// c = (a OP b) as bool (0/1) with NumPy broadcasting; T is f32 or i32 (see binary_float.wgsl).
alias T = f32;
override OP: u32 = 0u;

struct Meta {
    n: u32,
    rank: u32,
    flags: u32,
    _pad: u32,
    shape: array<vec4<u32>, 2>,
    sa: array<vec4<u32>, 2>,
    sb: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> cfg: Meta;
@group(0) @binding(1) var<storage, read> a: array<T>;
@group(0) @binding(2) var<storage, read> b: array<T>;
@group(0) @binding(3) var<storage, read_write> c: array<i32>;

fn apply(x: T, y: T) -> bool {
    switch OP {
        case 0u: { return x == y; }
        case 1u: { return x != y; }
        case 2u: { return x < y; }
        case 3u: { return x <= y; }
        case 4u: { return x > y; }
        case 5u: { return x >= y; }
        default: { return false; }
    }
}

fn at(v: array<vec4<u32>, 2>, d: u32) -> u32 {
    return v[d / 4u][d % 4u];
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (i >= cfg.n) {
        return;
    }
    var ia = i;
    var ib = i;
    if ((cfg.flags & 3u) != 3u) {
        var rem = i;
        var oa = 0u;
        var ob = 0u;
        for (var d = i32(cfg.rank) - 1; d >= 0; d = d - 1) {
            let dim = at(cfg.shape, u32(d));
            let coord = rem % dim;
            rem = rem / dim;
            oa = oa + coord * at(cfg.sa, u32(d));
            ob = ob + coord * at(cfg.sb, u32(d));
        }
        if ((cfg.flags & 1u) == 0u) { ia = oa; }
        if ((cfg.flags & 2u) == 0u) { ib = ob; }
    }
    c[i] = select(0, 1, apply(a[ia], b[ib]));
}
