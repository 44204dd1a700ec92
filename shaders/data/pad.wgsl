// Padding: each output coordinate maps back to the input; outside it, PAD_CONSTANT writes the
// constant (its 32-bit pattern; a 64-bit constant's low word at even words, high word at odd
// words, the element being a trailing dim of 2 words), PAD_REFLECT reflects (REFLECT), PAD_SYMMETRIC
// mirrors (SYMMETRIC).
alias E = u32;
//#include gen/pad_mode.wgsl
override MODE: u32 = PAD_CONSTANT;

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
            switch MODE {
                case PAD_REFLECT: {
                    // -1 -> 1, size -> size - 2
                    if (c < 0) { c = -c; } else { c = 2 * size - 2 - c; }
                }
                case PAD_SYMMETRIC: {
                    // -1 -> 0, size -> size - 1
                    if (c < 0) { c = -c - 1; } else { c = 2 * size - 1 - c; }
                }
                case PAD_CONSTANT, default: {
                    inside = false;
                }
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
