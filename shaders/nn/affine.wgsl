// y = act(x * scale[c] + shift[c]), c = (i / inner) % channels: inference batch norm (and bias
// with HAS_SCALE = false) on any layout.
alias F = f32;
override ACT: u32 = ACT_NONE;
override HAS_SCALE: bool = true;

//#include gen/meta/affine.wgsl

@group(0) @binding(0) var<uniform> cfg: AffineMeta;
@group(0) @binding(1) var<storage, read> x: array<F>;
@group(0) @binding(2) var<storage, read> scale: array<F>;
@group(0) @binding(3) var<storage, read> shift: array<F>;
@group(0) @binding(4) var<storage, read_write> y: array<F>;

//#include common/activation.wgsl

fn act(v: f32) -> f32 {
    return activate(ACT, v, cfg.alpha);
}

//#include common/each.wgsl

fn each(i: u32) {
    let c = (i / cfg.inner) % cfg.channels;
    var v = f32(x[i]);
    if (HAS_SCALE) {
        v = v * f32(scale[c]);
    }
    y[i] = F(act(v + f32(shift[c])));
}
