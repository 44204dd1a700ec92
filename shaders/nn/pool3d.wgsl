// 3-D max or average pooling over NDHWC, one invocation per output element; MODE in
// common/pool_window.wgsl.
//#include gen/meta/pool3d.wgsl
alias F = f32;

@group(0) @binding(0) var<uniform> cfg: Pool3dMeta;
//#include common/pool_window.wgsl

fn pool(i: u32) -> f32 {
    let ch = i % cfg.c;
    var r = i / cfg.c;
    let ox = r % cfg.ow;
    r = r / cfg.ow;
    let oy = r % cfg.oh;
    r = r / cfg.oh;
    let oz = r % cfg.od;
    let img = r / cfg.od;
    var w = window_new();
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
                let v = f32(x[(((img * cfg.id + u32(iz)) * cfg.ih + u32(iy)) * cfg.iw + u32(ix)) * cfg.c + ch]);
                w = window_add(w, v);
            }
        }
    }
    return window_result(w);
}
