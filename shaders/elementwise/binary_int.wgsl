// c = f(a, b) for integer and bool tensors with NumPy broadcasting (see binary_float.wgsl).
// T: i32, or i64 for exact int64 (adapters with SHADER_INT64).
alias T = i32;
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
@group(0) @binding(3) var<storage, read_write> c: array<T>;

fn floor_div(x: T, y: T) -> T {
    if (y == 0) { return 0; }
    let q = x / y;
    let r = x - q * y;
    return select(q, q - 1, r != 0 && ((r < 0) != (y < 0)));
}

fn ipow(x: T, y: T) -> T {
    var r = T(1);
    var base = x;
    var e = y;
    loop {
        if (e <= 0) { break; }
        if ((e & 1) == 1) { r = r * base; }
        base = base * base;
        e = e >> 1u;
    }
    return r;
}

fn apply(x: T, y: T) -> T {
    switch OP {
        case 0u: { return x + y; }
        case 1u: { return x - y; }
        case 2u: { return x * y; }
        case 3u: { return select(x / y, 0, y == 0); }                 // Div truncates for ints
        case 4u: { return max(x, y); }
        case 5u: { return min(x, y); }
        case 6u: { return ipow(x, y); }
        case 7u: { return (x - y) * (x - y); }
        case 8u: { return floor_div(x, y); }                          // FloorDiv
        case 9u: { return select(x - floor_div(x, y) * y, 0, y == 0); } // FloorMod
        case 10u: { return select(x % y, 0, y == 0); }                // TruncateMod
        case 12u: { return select(x / y, 0, y == 0); }                // DivNoNan
        case 14u: { return select(x / y, 0, y == 0); }                // TruncateDiv
        case 100u: { return select(T(0), T(1), x != 0 && y != 0); }         // LogicalAnd
        case 101u: { return select(T(0), T(1), x != 0 || y != 0); }         // LogicalOr
        case 102u: { return x & y; }                                  // BitwiseAnd
        case 103u: { return x | y; }                                  // BitwiseOr
        case 104u: { return x ^ y; }                                  // BitwiseXor
        default: { return x; }
    }
}

//#include common/index.wgsl
//#include common/binary_entries.wgsl

fn store(i: u32, ia: u32, ib: u32) {
    c[i] = apply(a[ia], b[ib]);
}
