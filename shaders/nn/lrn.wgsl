// Local response normalisation across the last (depth) axis:
// y = x / (bias + alpha * sum_{|d'-d| <= radius} x[d']^2) ^ beta, one invocation per element.
//#include gen/meta/lrn.wgsl

@group(0) @binding(0) var<uniform> cfg: LrnMeta;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

//#include common/each.wgsl

fn each(i: u32) {
    let d = i % cfg.depth;
    let row = i - d;
    let lo = select(d - cfg.radius, 0u, d < cfg.radius);
    let hi = min(d + cfg.radius, cfg.depth - 1u);
    var s = 0.0;
    for (var j = lo; j <= hi; j++) {
        let v = x[row + j];
        s = fma(v, v, s);
    }
    let base = cfg.bias + cfg.alpha * s;
    var scale: f32;
    if (cfg.beta == 0.5) {
        scale = inverseSqrt(base);
    } else if (cfg.beta == 1.0) {
        scale = 1.0 / base;
    } else {
        scale = exp(-cfg.beta * log(base));
    }
    y[i] = x[i] * scale;
}
