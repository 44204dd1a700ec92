// Cumsum (OP SCAN_SUM) / Cumprod (SCAN_PROD) along one axis: the input seen as [outer, len, inner], lines
// (outer, inner) walked in steps s = 0 .. len (position s, or len - 1 - s reversed). flags bit
// 0: exclusive, bit 1: reverse.
// `main`: one invocation per line walks it whole. Longer lines go in blocks of `block` steps
// (so that no invocation loops more than the host's loop budget): `blocks` scans each block
// and writes its total (binding 3, [lines, nblocks]), `carry` scans each line's totals into
// what precedes each block, and `add` combines that into the block's elements.
alias T = f32;
//#include gen/scan_op.wgsl
override OP: u32 = SCAN_SUM;

//#include gen/meta/scan.wgsl

@group(0) @binding(0) var<uniform> cfg: ScanMeta;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<T>;
// blocks: each block's total.
@group(0) @binding(3) var<storage, read_write> totals: array<T>;

fn op(a: T, b: T) -> T {
    var r = a + b;
    switch OP {
        case SCAN_PROD: { r = a * b; }
        case SCAN_SUM, default: {}
    }
    return r;
}

fn identity() -> T {
    return select(T(0), T(1), OP == SCAN_PROD);
}

// Scans steps [s0, s1) of line l into y; returns their total.
fn scan(l: u32, s0: u32, s1: u32) -> T {
    let base = (l / cfg.inner) * cfg.len * cfg.inner + l % cfg.inner;
    let exclusive = (cfg.flags & 1u) != 0u;
    let reverse = (cfg.flags & 2u) != 0u;
    var acc = identity();
    for (var s = s0; s < s1; s++) {
        let r = select(s, cfg.len - 1u - s, reverse);
        let p = base + r * cfg.inner;
        let v = x[p];
        if (exclusive) {
            y[p] = acc;
        }
        acc = op(acc, v);
        if (!exclusive) {
            y[p] = acc;
        }
    }
    return acc;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let l = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (l >= cfg.lines) {
        return;
    }
    scan(l, 0u, cfg.len);
}

// One invocation per (block, line), lines varying fastest (neighbouring invocations read
// neighbouring elements where inner > 1).
@compute @workgroup_size(256)
fn blocks(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let t = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (t >= cfg.lines * cfg.nblocks) {
        return;
    }
    let b = t / cfg.lines;
    let l = t - b * cfg.lines;
    let s0 = b * cfg.block;
    totals[l * cfg.nblocks + b] = scan(l, s0, min(s0 + cfg.block, cfg.len));
}

// One invocation per line: x holds its blocks' totals, y gets what precedes each block.
@compute @workgroup_size(256)
fn carry(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
    let l = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (l >= cfg.lines) {
        return;
    }
    var acc = identity();
    for (var b = 0u; b < cfg.nblocks; b++) {
        let v = x[l * cfg.nblocks + b];
        y[l * cfg.nblocks + b] = acc;
        acc = op(acc, v);
    }
}

// One invocation per element: x holds what precedes each block; y the blocks' own scans.
@compute @workgroup_size(256)
fn add(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
       @builtin(local_invocation_index) lid: u32) {
    let p = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (p >= cfg.lines * cfg.len) {
        return;
    }
    let q = p / cfg.inner;
    let outer = q / cfg.len;
    let r = q - outer * cfg.len;
    let l = outer * cfg.inner + (p - q * cfg.inner);
    let s = select(r, cfg.len - 1u - r, (cfg.flags & 2u) != 0u);
    let b = s / cfg.block;
    if (b > 0u) {
        y[p] = op(x[l * cfg.nblocks + b], y[p]);
    }
}
