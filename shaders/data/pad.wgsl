// Padding: each output coordinate maps back to the input; outside it, MODE 0 writes the
// constant (its 32-bit pattern; a 64-bit constant's low word at even words, high word at odd
// words, the element being a trailing dim of 2 words), MODE 1 reflects (REFLECT), MODE 2
// mirrors (SYMMETRIC).
alias E = u32;
override MODE: u32 = 0u;

//#include gen/meta/pad.wgsl

@group(0) @binding(0) var<uniform> cfg: PadMeta;
//#include common/copy_words.wgsl
//#include common/pad_bits.wgsl

fn each(i: u32) {
    var rem = i;
    var off = 0u;
    var inside = true;
    for (var d = i32(cfg.rank) - 1; d >= 0; d--) {
        let ud = u32(d);
        let dim = cfg.out_shape[ud >> 2u][ud & 3u];
        let size = i32(cfg.in_shape[ud >> 2u][ud & 3u]);
        var c = i32(rem % dim) - i32(cfg.before[ud >> 2u][ud & 3u]);
        rem /= dim;
        if (c < 0 || c >= size) {
            if (MODE == 0u) {
                inside = false;
            } else if (MODE == 1u) {
                // reflect: -1 -> 1, size -> size - 2
                if (c < 0) { c = -c; } else { c = 2 * size - 2 - c; }
            } else {
                // symmetric: -1 -> 0, size -> size - 1
                if (c < 0) { c = -c - 1; } else { c = 2 * size - 1 - c; }
            }
            c = clamp(c, 0, max(size - 1, 0));
        }
        off += u32(c) * cfg.in_strides[ud >> 2u][ud & 3u];
    }
    if (inside) {
        dst[i] = src[off];
    } else {
        dst[i] = pad_value(i);
    }
}
