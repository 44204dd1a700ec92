// y = act(x * scale[c] + shift[c]), c = (i / inner) % channels: inference batch norm (and bias
// with HAS_SCALE = false) on any layout.
override ACT: u32 = ACT_NONE;
override HAS_SCALE: bool = true;

//#include gen/meta/affine.wgsl

@group(0) @binding(0) var<uniform> cfg: AffineMeta;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> shift: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

//#include common/activation.wgsl

fn act(v: f32) -> f32 {
    return activate(ACT, v, cfg.alpha);
}

//#include common/each.wgsl

fn each(i: u32) {
    let c = (i / cfg.inner) % cfg.channels;
    var v = x[i];
    if (HAS_SCALE) {
        v = v * scale[c];
    }
    y[i] = act(v + shift[c]);
}
