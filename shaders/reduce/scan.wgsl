// Cumsum (OP 0) / Cumprod (OP 1) along one axis: the input seen as [outer, len, inner], one
// invocation per (outer, inner) line walking the axis in order. flags bit 0: exclusive,
// bit 1: reverse.
alias T = f32;
override OP: u32 = 0u;

struct Meta {
    lines: u32,
    len: u32,
    inner: u32,
    flags: u32,
}

@group(0) @binding(0) var<uniform> cfg: Meta;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<T>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let l = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (l >= cfg.lines) {
        return;
    }
    let base = (l / cfg.inner) * cfg.len * cfg.inner + l % cfg.inner;
    let exclusive = (cfg.flags & 1u) != 0u;
    let reverse = (cfg.flags & 2u) != 0u;
    var acc = select(T(0), T(1), OP == 1u);
    for (var s = 0u; s < cfg.len; s++) {
        let r = select(s, cfg.len - 1u - s, reverse);
        let p = base + r * cfg.inner;
        let v = x[p];
        if (exclusive) {
            y[p] = acc;
        }
        if (OP == 1u) {
            acc = acc * v;
        } else {
            acc = acc + v;
        }
        if (!exclusive) {
            y[p] = acc;
        }
    }
}
