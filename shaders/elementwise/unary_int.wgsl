// y = f(x) for integer (and bool) tensors. OP selects f. T: i32, or i64 for exact int64.
alias T = i32;
override OP: u32 = 0u;

struct Meta {
    n: u32,
    alpha: i32,
    beta: i32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> cfg: Meta;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<T>;

fn apply(v: T) -> T {
    switch OP {
        case 0u: { return max(v, 0); }                      // Relu
        case 7u: { return abs(v); }                         // Abs
        case 8u: { return -v; }                             // Neg
        case 12u: { return v * v; }                         // Square
        case 28u: { return sign(v); }                       // Sign
        case 36u: { return v; }                             // Identity
        case 40u: { return clamp(v, T(cfg.alpha), T(cfg.beta)); } // clip
        case 100u: { return select(T(1), T(0), v != 0); }         // LogicalNot
        case 101u: { return select(T(0), T(1), v != 0); }         // to bool
        default: { return v; }
    }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (i >= cfg.n) {
        return;
    }
    y[i] = apply(x[i]);
}
