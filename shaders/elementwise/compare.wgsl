// c = (a OP b) as bool (0/1) with NumPy broadcasting; T is f32 or i32 (see binary_float.wgsl).
alias T = f32;
override OP: u32 = CMP_EQUAL;
//#include gen/compare_op.wgsl

//#include gen/meta/broadcast.wgsl

@group(0) @binding(0) var<uniform> cfg: BroadcastMeta;
@group(0) @binding(1) var<storage, read> a: array<T>;
@group(0) @binding(2) var<storage, read> b: array<T>;
@group(0) @binding(3) var<storage, read_write> c: array<i32>;

fn apply(x: T, y: T) -> bool {
    switch OP {
        case CMP_EQUAL: { return x == y; }
        case CMP_NOT_EQUAL: { return x != y; }
        case CMP_LESS: { return x < y; }
        case CMP_LESS_EQUAL: { return x <= y; }
        case CMP_GREATER: { return x > y; }
        case CMP_GREATER_EQUAL: { return x >= y; }
        default: { return false; }
    }
}

//#include common/index.wgsl
//#include common/binary_entries.wgsl

fn store(i: u32, ia: u32, ib: u32) {
    c[i] = select(0, 1, apply(a[ia], b[ib]));
}
