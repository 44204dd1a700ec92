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
    // Division multipliers and shifts for the dims of `shape` (common/index.wgsl).
    magic: array<vec4<u32>, 2>,
    shifts: array<vec4<u32>, 2>,
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

//#include common/index.wgsl
//#include common/binary_entries.wgsl

fn store(i: u32, ia: u32, ib: u32) {
    c[i] = select(0, 1, apply(a[ia], b[ib]));
}
