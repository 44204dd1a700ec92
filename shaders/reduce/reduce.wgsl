// Reduction over any set of axes: one workgroup per output element and part. The kept axes (the
// output's shape, with their input strides) locate the start; the reduced axes (shape and input
// strides) enumerate what is combined, 256 invocations at a time, then a workgroup-wide
// reduction (common/group_tree.wgsl, or common/group_subgroup.wgsl where the adapter has
// subgroups).
// Long reductions are split into `parts` of `chunk` reduced elements (so that no invocation
// loops more than the host's loop budget, and for parallelism): each part writes a partial
// result (`main`: y[o * parts + p], `serial`: y[p * n_out + o]), which a further pass reduces.
// OP: a `ReduceOp` (src/kernel/codes.rs). T: f32, i32 or i64, what it computes in; X and Y:
// how x and y hold their elements (T, or f16 for floats under `--precision f16`).
// PARTIAL_IN: x holds partial results (a norm's are sums of squares already); PARTIAL_OUT: y
// gets partial results (no mean's division, no norm's square root).
alias T = f32;
alias X = f32;
alias Y = f32;
override OP: u32 = REDUCE_SUM;
//#include gen/reduce_op.wgsl
override PARTIAL_IN: bool = false;
override PARTIAL_OUT: bool = false;

//#include gen/meta/reduce.wgsl

@group(0) @binding(0) var<uniform> cfg: ReduceMeta;
@group(0) @binding(1) var<storage, read> x: array<X>;
@group(0) @binding(2) var<storage, read_write> y: array<Y>;

fn identity() -> T {
    switch OP {
        case REDUCE_MAX: { return T(-3.402823466e+38); }
        case REDUCE_MIN: { return T(3.402823466e+38); }
        case REDUCE_PROD, REDUCE_ALL: { return T(1); }
        default: { return T(0); }
    }
}

// Max and Min propagate NaN, as TensorFlow's do (WGSL's max/min may drop it). Only floats
// have NaNs.
const T_IS_FLOAT: bool = T(0.5) != T(0);

fn is_nan_t(v: T) -> bool {
    return T_IS_FLOAT && (bitcast<u32>(f32(v)) & 0x7fffffffu) > 0x7f800000u;
}

// Where output `o` starts in x: its coordinates over the kept dims, through their strides.
fn kept_base(o: u32) -> u32 {
    var rem = o;
    var base = 0u;
    for (var d = i32(cfg.kept_rank) - 1; d >= 0; d--) {
        let dim = cfg.kept_shape[u32(d) >> 2u][u32(d) & 3u];
        base += (rem % dim) * cfg.kept_strides[u32(d) >> 2u][u32(d) & 3u];
        rem /= dim;
    }
    return base;
}

// The offset from an output's start of its r-th reduced element.
fn red_offset(r: u32) -> u32 {
    if (cfg.red_rank == 1u) {
        // One reduced dim (adjacent ones are merged on the host): no division.
        return r * cfg.red_strides[0][0];
    }
    var rr = r;
    var off = 0u;
    for (var d = i32(cfg.red_rank) - 1; d >= 0; d--) {
        let dim = cfg.red_shape[u32(d) >> 2u][u32(d) & 3u];
        off += (rr % dim) * cfg.red_strides[u32(d) >> 2u][u32(d) & 3u];
        rr /= dim;
    }
    return off;
}

fn combine(p: T, q: T) -> T {
    return combine_op(OP, p, q);
}

fn combine_op(op: u32, p: T, q: T) -> T {
    switch op {
        case REDUCE_MAX: { return select(select(max(p, q), q, is_nan_t(q)), p, is_nan_t(p)); }
        case REDUCE_MIN: { return select(select(min(p, q), q, is_nan_t(q)), p, is_nan_t(p)); }
        case REDUCE_PROD: { return p * q; }
        case REDUCE_ALL: { return select(T(0), T(1), p != T(0) && q != T(0)); }
        case REDUCE_ANY: { return select(T(0), T(1), p != T(0) || q != T(0)); }
        case REDUCE_SUM, REDUCE_MEAN, REDUCE_EUCLIDEAN_NORM, default: { return p + q; }
    }
}

//#include common/group_tree.wgsl

// The value of reduced element r, squared for a norm's first pass.
fn load(base: u32, r: u32) -> T {
    let v = T(x[base + red_offset(r)]);
    if (OP == REDUCE_EUCLIDEAN_NORM && !PARTIAL_IN) {
        return v * v;
    }
    return v;
}

fn finish(v: T) -> T {
    if (PARTIAL_OUT) {
        return v;
    }
    if (OP == REDUCE_MEAN) {
        return v / T(max(cfg.count, 1u));
    }
    if (OP == REDUCE_SUM && cfg.scale != 1.0) {
        // A sum and the constant factor after it, fused (a mean written as Sum then Mul by
        // 1/N): scaled before it is stored, so that an f16 output holds the mean, not the sum.
        return v * T(cfg.scale);
    }
    if (OP == REDUCE_EUCLIDEAN_NORM) {
        return T(sqrt(f32(v)));
    }
    return v;
}

fn run(wid: vec3<u32>, nwg: vec3<u32>, ids: Ids) {
    let lid = ids.lid;
    let w = (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
    if (w >= cfg.n_out * cfg.parts) {
        return;
    }
    let o = w / cfg.parts;
    let r0 = (w - o * cfg.parts) * cfg.chunk;
    let r1 = min(r0 + cfg.chunk, cfg.n_red);
    let base = kept_base(o);
    var acc = identity();
    for (var r = r0 + lid; r < r1; r += 256u) {
        acc = combine(acc, load(base, r));
    }
    let total = group_reduce(acc, OP, ids);
    if (lid == 0u) {
        y[w] = Y(finish(total));
    }
}

// One invocation per output element and part: for short reductions (a global average pool
// over 7x7, say), where a workgroup per output would mostly idle, and strided ones
// (neighbouring invocations read neighbouring outputs' elements).
@compute @workgroup_size(64)
fn serial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let t = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 64u + lid;
    if (t >= cfg.n_out * cfg.parts) {
        return;
    }
    let p = t / cfg.n_out;
    let o = t - p * cfg.n_out;
    let r1 = min((p + 1u) * cfg.chunk, cfg.n_red);
    let base = kept_base(o);
    var acc = identity();
    for (var r = p * cfg.chunk; r < r1; r++) {
        acc = combine(acc, load(base, r));
    }
    y[t] = Y(finish(acc));
}
