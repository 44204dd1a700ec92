// c = f(a, b) for float32 tensors with NumPy broadcasting. The output shape and the strides of
// a and b over it (0 on broadcast dims) come in meta; FLAGS bit 0: a is contiguous with c,
// bit 1: b is contiguous with c (then the index math is skipped).
alias F = f32;
override OP: u32 = BINARY_ADD;
//#include gen/binary_op.wgsl

//#include gen/meta/broadcast.wgsl

@group(0) @binding(0) var<uniform> cfg: BroadcastMeta;
@group(0) @binding(1) var<storage, read> a: array<F>;
@group(0) @binding(2) var<storage, read> b: array<F>;
@group(0) @binding(3) var<storage, read_write> c: array<F>;

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
        case BINARY_ADD: { return x + y; }                              // Add, AddV2, BiasAdd
        case BINARY_SUB: { return x - y; }
        case BINARY_MUL: { return x * y; }
        case BINARY_DIV: { return x / y; }                              // RealDiv, Div
        // NaN wins, as in TF: x + y is NaN when either is (no NaN constant: WGSL's constant
        // expressions cannot hold one, and browsers refuse the shader).
        case BINARY_MAXIMUM: { return select(max(x, y), x + y, is_nan_(x) || is_nan_(y)); }
        case BINARY_MINIMUM: { return select(min(x, y), x + y, is_nan_(x) || is_nan_(y)); }
        case BINARY_POW: { return pow_c(x, y); }
        case BINARY_SQUARED_DIFFERENCE: { return (x - y) * (x - y); }
        case BINARY_FLOOR_DIV: { return floor(x / y); }
        case BINARY_FLOOR_MOD: { return floor_mod(x, y); }
        case BINARY_TRUNCATE_MOD: { return x - y * trunc(x / y); }              // Mod / TruncateMod
        case BINARY_ATAN2: { return atan2(x, y); }
        case BINARY_DIV_NO_NAN: { return select(x / y, 0.0, y == 0.0); }
        case BINARY_MUL_NO_NAN: { return select(x * y, 0.0, x == 0.0); }
        case BINARY_TRUNCATE_DIV: { return trunc(x / y); }
        case BINARY_PRELU: { return select(y * x, x, x >= 0.0); }        // Prelu (x, alpha)
        default: { return x; }
    }
}

//#include common/index.wgsl
//#include common/binary_entries.wgsl

fn store(i: u32, ia: u32, ib: u32) {
    c[i] = F(apply(f32(a[ia]), f32(b[ib])));
}
