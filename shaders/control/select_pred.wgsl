// out[i] = pred[0] ? a[i] : b[i] — the outputs of a conditional whose predicate is computed on
// the GPU (both branches ran). Elements are copied as 32-bit words, whatever their type. The
// predicate is true when non-zero; a float predicate ignores the sign bit (-0.0 is false).
//#include gen/meta/count.wgsl

override PRED_FLOAT: bool = false;

@group(0) @binding(0) var<uniform> cfg: CountMeta;
@group(0) @binding(1) var<storage, read> pred: array<u32>;
@group(0) @binding(2) var<storage, read> a: array<u32>;
@group(0) @binding(3) var<storage, read> b: array<u32>;
@group(0) @binding(4) var<storage, read_write> dst: array<u32>;

//#include common/each.wgsl

fn each(i: u32) {
    var p = pred[0];
    if (PRED_FLOAT) {
        p = p & 0x7fffffffu;
    }
    dst[i] = select(b[i], a[i], p != 0u);
}
