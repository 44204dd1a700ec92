// out[i] = in[base + sum_d coord_d(i) * stride_d] over the output's shape, with signed strides:
// transposes, slices, strided slices, reversals and broadcasts (stride 0) in one kernel.
// Elements are 32-bit words of any dtype.
//#include gen/meta/strided_copy.wgsl
alias E = u32;

@group(0) @binding(0) var<uniform> cfg: StridedCopyMeta;
//#include common/copy_words.wgsl

fn each(i: u32) {
    var rem = i;
    var off = i32(cfg.base);
    for (var d = i32(cfg.rank) - 1; d >= 0; d--) {
        let dim = cfg.shape[u32(d) / 4u][u32(d) % 4u];
        off += i32(rem % dim) * cfg.strides[u32(d) / 4u][u32(d) % 4u];
        rem /= dim;
    }
    dst[i] = src[u32(off)];
}
