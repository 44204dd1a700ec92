// Writes a whole input into a region of the output: out[base + sum_d coord_d(i) * stride_d] =
// in[i], coordinates over the input's shape (concatenation, stacking). 32-bit words.
//#include gen/meta/copy.wgsl
alias E = u32;

@group(0) @binding(0) var<uniform> cfg: CopyMeta;
//#include common/copy_words.wgsl

fn each(i: u32) {
    var rem = i;
    var off = cfg.base;
    for (var d = i32(cfg.rank) - 1; d >= 0; d--) {
        let dim = cfg.shape[u32(d) / 4u][u32(d) % 4u];
        off += (rem % dim) * cfg.strides[u32(d) / 4u][u32(d) % 4u];
        rem /= dim;
    }
    dst[off] = src[i];
}
