// ReverseSequence: along the sequence dim, the first lengths[b] elements of each batch entry b
// are reversed; the rest are copied. Indices count 32-bit words (a 64-bit element is two
// words: `seq_stride` and `batch_stride` are in words). A length outside [0, seq_dim] is
// clamped to it. LEN64: the lengths are 64-bit (low, high words).
override LEN64: bool = false;

//#include gen/meta/reverse_sequence.wgsl

@group(0) @binding(0) var<uniform> cfg: ReverseSequenceMeta;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read> lengths: array<i32>;
@group(0) @binding(3) var<storage, read_write> dst: array<u32>;

fn seq_length(b: u32) -> i32 {
    if (!LEN64) {
        return lengths[b];
    }
    let lo = lengths[2u * b];
    let hi = lengths[2u * b + 1u];
    // Beyond the int32 range: as long as the whole sequence (negative: nothing reversed).
    return select(select(i32(cfg.seq_dim), 0, hi < 0), lo, hi == (lo >> 31u));
}

//#include common/each.wgsl

fn each(i: u32) {
    let s = (i / cfg.seq_stride) % cfg.seq_dim;
    let b = (i / cfg.batch_stride) % cfg.batch_dim;
    let len = u32(clamp(seq_length(b), 0, i32(cfg.seq_dim)));
    var at = i;
    if (s < len) {
        at = i + (len - 1u - s) * cfg.seq_stride - s * cfg.seq_stride;
    }
    dst[i] = src[at];
}
