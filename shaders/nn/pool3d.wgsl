// 3-D max or average pooling over NDHWC, one invocation per output element. MODE 0: max
// (padding never wins); MODE 1: average over the valid (unpadded) elements of the window.
override MODE: u32 = 0u;

struct Meta {
    n_out: u32, c: u32, _p0: u32, _p1: u32,
    id: u32, ih: u32, iw: u32, _p2: u32,
    od: u32, oh: u32, ow: u32, _p3: u32,
    kd: u32, kh: u32, kw: u32, _p4: u32,
    sd: u32, sh: u32, sw: u32, _p5: u32,
    pf: u32, pt: u32, pl: u32, _p6: u32,
}

@group(0) @binding(0) var<uniform> cfg: Meta;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (i >= cfg.n_out) {
        return;
    }
    let ch = i % cfg.c;
    var r = i / cfg.c;
    let ox = r % cfg.ow;
    r = r / cfg.ow;
    let oy = r % cfg.oh;
    r = r / cfg.oh;
    let oz = r % cfg.od;
    let img = r / cfg.od;
    var best = -3.402823466e+38;
    var sum = 0.0;
    var count = 0u;
    for (var kz = 0u; kz < cfg.kd; kz++) {
        let iz = i32(oz * cfg.sd + kz) - i32(cfg.pf);
        if (iz < 0 || iz >= i32(cfg.id)) {
            continue;
        }
        for (var ky = 0u; ky < cfg.kh; ky++) {
            let iy = i32(oy * cfg.sh + ky) - i32(cfg.pt);
            if (iy < 0 || iy >= i32(cfg.ih)) {
                continue;
            }
            for (var kx = 0u; kx < cfg.kw; kx++) {
                let ix = i32(ox * cfg.sw + kx) - i32(cfg.pl);
                if (ix < 0 || ix >= i32(cfg.iw)) {
                    continue;
                }
                let v = x[(((img * cfg.id + u32(iz)) * cfg.ih + u32(iy)) * cfg.iw + u32(ix)) * cfg.c + ch];
                best = max(best, v);
                sum = sum + v;
                count = count + 1u;
            }
        }
    }
    if (MODE == 0u) {
        y[i] = best;
    } else {
        y[i] = sum / f32(max(count, 1u));
    }
}
