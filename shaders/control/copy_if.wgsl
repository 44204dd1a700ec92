// dst[i] = src[i] when pred[0] is true, else dst is left as it is — how a runtime loop commits
// an iteration's new values into its carried buffers. Guarded commits make iterations run
// after the loop's condition turned false harmless (the carried values stay frozen), so several
// iterations can be recorded per predicate readback. 32-bit words, whatever their type; a
// float predicate ignores the sign bit (-0.0 is false).
//#include gen/meta/count.wgsl

override PRED_FLOAT: bool = false;

@group(0) @binding(0) var<uniform> cfg: CountMeta;
@group(0) @binding(1) var<storage, read> pred: array<u32>;
@group(0) @binding(2) var<storage, read> src: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<u32>;

//#include common/each.wgsl

fn each(i: u32) {
    var p = pred[0];
    if (PRED_FLOAT) {
        p = p & 0x7fffffffu;
    }
    if (p != 0u) {
        dst[i] = src[i];
    }
}
