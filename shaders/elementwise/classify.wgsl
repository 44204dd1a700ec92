// Classifies float32 values by their bits (robust to fast-math folding of NaN tests):
// OP: a `ClassifyOp` (is NaN, is ±inf, is finite). Output: bool as i32 0/1.
override OP: u32 = CLASS_IS_NAN;
//#include gen/classify_op.wgsl

//#include gen/meta/count.wgsl

@group(0) @binding(0) var<uniform> cfg: CountMeta;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<i32>;

//#include common/each.wgsl

fn each(i: u32) {
    let bits = x[i];
    let exp_all_ones = (bits & 0x7f800000u) == 0x7f800000u;
    let mant = bits & 0x007fffffu;
    var r = false;
    switch OP {
        case CLASS_IS_NAN: { r = exp_all_ones && mant != 0u; }
        case CLASS_IS_INF: { r = exp_all_ones && mant == 0u; }
        case CLASS_IS_FINITE, default: { r = !exp_all_ones; }
    }
    y[i] = select(0, 1, r);
}
