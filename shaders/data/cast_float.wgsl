// Float storage conversions under `--precision f16`: dst[i] = src[i] between f32 and f16
// (the planner's edges between ops with and without f16 kernels). S and D are set per variant
// (`f16` makes the variant `enable f16`).
alias S = f32;
alias D = f32;

//#include gen/meta/cast.wgsl

@group(0) @binding(0) var<uniform> cfg: CastMeta;
@group(0) @binding(1) var<storage, read> src: array<S>;
@group(0) @binding(2) var<storage, read_write> dst: array<D>;

//#include common/each.wgsl

fn each(i: u32) {
    dst[i] = D(src[i]);
}
