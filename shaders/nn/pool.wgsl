// Max or average pooling over NHWC (or any [N, spatial..., C] flattened to H, W), one
// invocation per output element; MODE in common/pool_window.wgsl.
//#include gen/meta/pool.wgsl
alias F = f32;

@group(0) @binding(0) var<uniform> cfg: PoolMeta;
//#include common/pool_window.wgsl

fn pool(i: u32) -> f32 {
    let ch = i % cfg.c;
    let r = i / cfg.c;
    let ox = r % cfg.ow;
    let r2 = r / cfg.ow;
    let oy = r2 % cfg.oh;
    let img = r2 / cfg.oh;
    var w = window_new();
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
            let v = f32(x[((img * cfg.ih + u32(iy)) * cfg.iw + u32(ix)) * cfg.c + ch]);
            w = window_add(w, v);
        }
    }
    return window_result(w);
}
