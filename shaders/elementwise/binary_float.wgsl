// c = f(a, b) for float32 tensors with NumPy broadcasting. The output shape and the strides of
// a and b over it (0 on broadcast dims) come in meta; FLAGS bit 0: a is contiguous with c,
// bit 1: b is contiguous with c (then the index math is skipped).
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
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

fn floor_mod(x: f32, y: f32) -> f32 {
    let r = x - y * floor(x / y);
    return r;
}

// x^y with C pow's special cases: negative bases with integer exponents (sign from the
// exponent's parity), zero bases, and y = 0 (WGSL's pow is undefined for x <= 0).
fn pow_c(x: f32, y: f32) -> f32 {
    if (y == 0.0) {
        return 1.0;
    }
    if (x > 0.0) {
        return pow(x, y);
    }
    if (x == 0.0) {
        return select(1.0 / abs(x), 0.0, y > 0.0);
    }
    if (floor(y) != y) {
        return bitcast<f32>(bitcast<u32>(x) | 0x7fc00000u);
    }
    let r = pow(-x, y);
    return select(r, -r, fract(y * 0.5) != 0.0);
}

// NaN tests on the bits: WGSL's max/min may return either operand when one is NaN.
fn is_nan_(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}


fn apply(x: f32, y: f32) -> f32 {
    switch OP {
        case 0u: { return x + y; }                              // Add, AddV2, BiasAdd
        case 1u: { return x - y; }                              // Sub
        case 2u: { return x * y; }                              // Mul
        case 3u: { return x / y; }                              // RealDiv, Div
        // NaN wins, as in TF: x + y is NaN when either is (no NaN constant: WGSL's constant
        // expressions cannot hold one, and browsers refuse the shader).
        case 4u: { return select(max(x, y), x + y, is_nan_(x) || is_nan_(y)); } // Maximum
        case 5u: { return select(min(x, y), x + y, is_nan_(x) || is_nan_(y)); } // Minimum
        case 6u: { return pow_c(x, y); }                        // Pow
        case 7u: { return (x - y) * (x - y); }                  // SquaredDifference
        case 8u: { return floor(x / y); }                       // FloorDiv
        case 9u: { return floor_mod(x, y); }                    // FloorMod
        case 10u: { return x - y * trunc(x / y); }              // Mod / TruncateMod
        case 11u: { return atan2(x, y); }                       // Atan2
        case 12u: { return select(x / y, 0.0, y == 0.0); }      // DivNoNan
        case 13u: { return select(x * y, 0.0, x == 0.0); }      // MulNoNan
        case 14u: { return trunc(x / y); }                      // TruncateDiv
        case 15u: { return select(y * x, x, x >= 0.0); }        // Prelu (x, alpha)
        default: { return x; }
    }
}

//#include common/index.wgsl
//#include common/binary_entries.wgsl

fn store(i: u32, ia: u32, ib: u32) {
    c[i] = apply(a[ia], b[ib]);
}
