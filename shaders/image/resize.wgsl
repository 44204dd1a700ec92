// ResizeBilinear (RESIZE_BILINEAR) and ResizeNearestNeighbor (RESIZE_NEAREST) on NHWC images, one invocation per
// output element, following TensorFlow's CPU kernels: the source coordinate is
// `o * scale` (legacy), `(o + 0.5) * scale - 0.5` (bilinear, half-pixel centres) or
// `(o + 0.5) * scale` (nearest, half-pixel centres); the scale comes from the host.
alias T = f32;
alias U = f32;
//#include gen/resize_method.wgsl
override MODE: u32 = RESIZE_BILINEAR;
override HALF: bool = false;
override ALIGN: bool = false;

//#include gen/meta/resize.wgsl

@group(0) @binding(0) var<uniform> cfg: ResizeMeta;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<U>;

// C's roundf: halves away from zero.
fn roundf(v: f32) -> f32 {
    return select(-floor(-v + 0.5), floor(v + 0.5), v >= 0.0);
}

fn nearest(o: u32, scale: f32, size: u32) -> u32 {
    var s: f32;
    if (HALF) {
        s = (f32(o) + 0.5) * scale;
    } else {
        s = f32(o) * scale;
    }
    var i: i32;
    if (ALIGN) {
        i = i32(roundf(s));
    } else {
        i = i32(floor(s));
    }
    i = min(i, i32(size) - 1);
    if (HALF) {
        i = max(i, 0);
    }
    return u32(max(i, 0));
}

//#include common/each.wgsl

fn each(i: u32) {
    let ch = i % cfg.c;
    var r = i / cfg.c;
    let ox = r % cfg.ow;
    r = r / cfg.ow;
    let oy = r % cfg.oh;
    let img = r / cfg.oh;
    let base = img * cfg.ih;
    if (MODE == RESIZE_NEAREST) {
        let iy = nearest(oy, cfg.sy, cfg.ih);
        let ix = nearest(ox, cfg.sx, cfg.iw);
        y[i] = U(x[((base + iy) * cfg.iw + ix) * cfg.c + ch]);
        return;
    }
    var fy: f32;
    var fx: f32;
    if (HALF) {
        fy = (f32(oy) + 0.5) * cfg.sy - 0.5;
        fx = (f32(ox) + 0.5) * cfg.sx - 0.5;
    } else {
        fy = f32(oy) * cfg.sy;
        fx = f32(ox) * cfg.sx;
    }
    let y0 = floor(fy);
    let x0 = floor(fx);
    let ly = fy - y0;
    let lx = fx - x0;
    let top = u32(max(i32(y0), 0));
    let bot = u32(min(i32(ceil(fy)), i32(cfg.ih) - 1));
    let left = u32(max(i32(x0), 0));
    let right = u32(min(i32(ceil(fx)), i32(cfg.iw) - 1));
    let tl = f32(x[((base + top) * cfg.iw + left) * cfg.c + ch]);
    let tr = f32(x[((base + top) * cfg.iw + right) * cfg.c + ch]);
    let bl = f32(x[((base + bot) * cfg.iw + left) * cfg.c + ch]);
    let br = f32(x[((base + bot) * cfg.iw + right) * cfg.c + ch]);
    let t = tl + (tr - tl) * lx;
    let b = bl + (br - bl) * lx;
    y[i] = U(t + (b - t) * ly);
}
