// CropAndResize: for each box b (normalised [y1, x1, y2, x2] on image box_ind[b]) samples a
// crop_h x crop_w grid, bilinear (RESIZE_BILINEAR) or nearest (RESIZE_NEAREST), as TensorFlow's CPU kernel;
// samples outside the image (and boxes whose image index is out of range) take
// `extrapolation`. Output [boxes, crop_h, crop_w, C], float32; one invocation per element.
alias T = f32;
//#include gen/resize_method.wgsl
override MODE: u32 = RESIZE_BILINEAR;

//#include gen/meta/crop_and_resize.wgsl

@group(0) @binding(0) var<uniform> cfg: CropAndResizeMeta;
@group(0) @binding(1) var<storage, read> image: array<T>;
@group(0) @binding(2) var<storage, read> boxes: array<f32>;
@group(0) @binding(3) var<storage, read> box_ind: array<i32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

fn roundf(v: f32) -> f32 {
    return select(-floor(-v + 0.5), floor(v + 0.5), v >= 0.0);
}

fn px(img: u32, yy: u32, xx: u32, ch: u32) -> f32 {
    return f32(image[((img * cfg.ih + yy) * cfg.iw + xx) * cfg.c + ch]);
}

//#include common/each.wgsl

fn each(i: u32) {
    let ch = i % cfg.c;
    var r = i / cfg.c;
    let ox = r % cfg.cw;
    r = r / cfg.cw;
    let oy = r % cfg.ch;
    let b = r / cfg.ch;
    let bi = box_ind[b];
    if (bi < 0 || u32(bi) >= cfg.batch) {
        y[i] = cfg.extrapolation;
        return;
    }
    let img = u32(bi);
    let y1 = boxes[b * 4u];
    let x1 = boxes[b * 4u + 1u];
    let y2 = boxes[b * 4u + 2u];
    let x2 = boxes[b * 4u + 3u];
    let hm1 = f32(cfg.ih - 1u);
    let wm1 = f32(cfg.iw - 1u);
    var in_y: f32;
    var in_x: f32;
    if (cfg.ch > 1u) {
        let hs = (y2 - y1) * hm1 / f32(cfg.ch - 1u);
        in_y = y1 * hm1 + f32(oy) * hs;
    } else {
        in_y = 0.5 * (y1 + y2) * hm1;
    }
    if (cfg.cw > 1u) {
        let ws = (x2 - x1) * wm1 / f32(cfg.cw - 1u);
        in_x = x1 * wm1 + f32(ox) * ws;
    } else {
        in_x = 0.5 * (x1 + x2) * wm1;
    }
    if (in_y < 0.0 || in_y > hm1 || in_x < 0.0 || in_x > wm1) {
        y[i] = cfg.extrapolation;
        return;
    }
    if (MODE == RESIZE_NEAREST) {
        y[i] = px(img, u32(roundf(in_y)), u32(roundf(in_x)), ch);
        return;
    }
    let ty = floor(in_y);
    let lx0 = floor(in_x);
    let top = u32(ty);
    let bot = u32(ceil(in_y));
    let left = u32(lx0);
    let right = u32(ceil(in_x));
    let ly = in_y - ty;
    let lx = in_x - lx0;
    let tl = px(img, top, left, ch);
    let tr = px(img, top, right, ch);
    let bl = px(img, bot, left, ch);
    let br = px(img, bot, right, ch);
    let t = tl + (tr - tl) * lx;
    let bb = bl + (br - bl) * lx;
    y[i] = t + (bb - t) * ly;
}
