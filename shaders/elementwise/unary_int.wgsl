// y = f(x) for integer (and bool) tensors. OP selects f (a `UnaryOp`). T: i32, or i64 for exact int64.
alias T = i32;
override OP: u32 = UNARY_RELU;
//#include gen/unary_op.wgsl

//#include gen/meta/unary_int.wgsl

@group(0) @binding(0) var<uniform> cfg: UnaryIntMeta;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<T>;

fn apply(v: T) -> T {
    switch OP {
        case UNARY_RELU: { return max(v, 0); }
        case UNARY_ABS: { return abs(v); }
        case UNARY_NEG: { return -v; }
        case UNARY_SQUARE: { return v * v; }
        case UNARY_SIGN: { return sign(v); }
        case UNARY_IDENTITY: { return v; }
        case UNARY_CLIP: { return clamp(v, T(cfg.alpha), T(cfg.beta)); }
        case UNARY_LOGICAL_NOT: { return select(T(1), T(0), v != 0); }
        case UNARY_TO_BOOL: { return select(T(0), T(1), v != 0); }
        default: { return v; }
    }
}

//#include common/each.wgsl

fn each(i: u32) {
    y[i] = apply(x[i]);
}
