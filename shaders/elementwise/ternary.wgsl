// Three-input elementwise ops with broadcasting: each operand has its own strides over the
// output's shape (0 on broadcast dims). Elements are 32-bit words.
// OP TERNARY_SELECT: a is the condition (nonzero picks b, else c), b and c are copied as bits;
// OP TERNARY_CLIP: max(min(a, c), b) in T (TensorFlow's ClipByValue: t, clip_min, clip_max).
alias T = f32;
override OP: u32 = TERNARY_SELECT;
//#include gen/ternary_op.wgsl

//#include gen/meta/ternary.wgsl

@group(0) @binding(0) var<uniform> cfg: TernaryMeta;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<u32>;
@group(0) @binding(3) var<storage, read> c: array<u32>;
@group(0) @binding(4) var<storage, read_write> y: array<u32>;

//#include common/each.wgsl

fn each(i: u32) {
    var ia = i;
    var ib = i;
    var ic = i;
    if ((cfg.flags & 7u) != 7u) {
        var rem = i;
        var oa = 0u;
        var ob = 0u;
        var oc = 0u;
        for (var d = i32(cfg.rank) - 1; d >= 0; d = d - 1) {
            let dim = cfg.shape[(u32(d)) >> 2u][(u32(d)) & 3u];
            let coord = rem % dim;
            rem = rem / dim;
            oa = oa + coord * cfg.sa[(u32(d)) >> 2u][(u32(d)) & 3u];
            ob = ob + coord * cfg.sb[(u32(d)) >> 2u][(u32(d)) & 3u];
            oc = oc + coord * cfg.sc[(u32(d)) >> 2u][(u32(d)) & 3u];
        }
        if ((cfg.flags & 1u) == 0u) { ia = oa; }
        if ((cfg.flags & 2u) == 0u) { ib = ob; }
        if ((cfg.flags & 4u) == 0u) { ic = oc; }
    }
    switch OP {
        case TERNARY_SELECT: { y[i] = select(c[ic], b[ib], a[ia] != 0u); }
        case TERNARY_CLIP, default: { y[i] = bitcast<u32>(max(min(bitcast<T>(a[ia]), bitcast<T>(c[ic])), bitcast<T>(b[ib]))); }
    }
}
