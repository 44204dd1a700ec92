// Three-input elementwise ops with broadcasting: each operand has its own strides over the
// output's shape (0 on broadcast dims). Elements are 32-bit words.
// OP 0: select — a is the condition (nonzero picks b, else c), b and c are copied as bits;
// OP 1: clip — max(min(a, c), b) in T (TensorFlow's ClipByValue: t, clip_min, clip_max).
alias T = f32;
override OP: u32 = 0u;

struct Meta {
    n: u32,
    rank: u32,
    // bit k: operand k has the output's shape (indexed directly).
    flags: u32,
    _pad: u32,
    shape: array<vec4<u32>, 2>,
    sa: array<vec4<u32>, 2>,
    sb: array<vec4<u32>, 2>,
    sc: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> cfg: Meta;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<u32>;
@group(0) @binding(3) var<storage, read> c: array<u32>;
@group(0) @binding(4) var<storage, read_write> y: array<u32>;


@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (i >= cfg.n) {
        return;
    }
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
    if (OP == 0u) {
        y[i] = select(c[ic], b[ib], a[ia] != 0u);
    } else {
        let v = max(min(bitcast<T>(a[ia]), bitcast<T>(c[ic])), bitcast<T>(b[ib]));
        y[i] = bitcast<u32>(v);
    }
}
