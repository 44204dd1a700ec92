// c = f(a, b) for integer and bool tensors with NumPy broadcasting (see binary_float.wgsl).
// T: i32, or i64 for exact int64 (adapters with SHADER_INT64).
alias T = i32;
override OP: u32 = BINARY_ADD;
//#include gen/binary_op.wgsl

//#include gen/meta/broadcast.wgsl

@group(0) @binding(0) var<uniform> cfg: BroadcastMeta;
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
        case BINARY_ADD: { return x + y; }
        case BINARY_SUB: { return x - y; }
        case BINARY_MUL: { return x * y; }
        case BINARY_DIV: { return select(x / y, 0, y == 0); }                 // Div truncates for ints
        case BINARY_MAXIMUM: { return max(x, y); }
        case BINARY_MINIMUM: { return min(x, y); }
        case BINARY_POW: { return ipow(x, y); }
        case BINARY_SQUARED_DIFFERENCE: { return (x - y) * (x - y); }
        case BINARY_FLOOR_DIV: { return floor_div(x, y); }
        case BINARY_FLOOR_MOD: { return select(x - floor_div(x, y) * y, 0, y == 0); }
        case BINARY_TRUNCATE_MOD: { return select(x % y, 0, y == 0); }
        case BINARY_DIV_NO_NAN: { return select(x / y, 0, y == 0); }
        case BINARY_TRUNCATE_DIV: { return select(x / y, 0, y == 0); }
        case BINARY_LOGICAL_AND: { return select(T(0), T(1), x != 0 && y != 0); }
        case BINARY_LOGICAL_OR: { return select(T(0), T(1), x != 0 || y != 0); }
        case BINARY_BITWISE_AND: { return x & y; }
        case BINARY_BITWISE_OR: { return x | y; }
        case BINARY_BITWISE_XOR: { return x ^ y; }
        default: { return x; }
    }
}

//#include common/index.wgsl
//#include common/binary_entries.wgsl

fn store(i: u32, ia: u32, ib: u32) {
    c[i] = apply(a[ia], b[ib]);
}
