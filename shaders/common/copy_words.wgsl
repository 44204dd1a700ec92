// Shared by the kernels that move 32-bit words from one tensor to another by index arithmetic
// (data/copy_into.wgsl, data/strided_copy.wgsl, data/pad.wgsl): included with
// `//#include common/copy_words.wgsl`. Elements of any dtype are words (64-bit ones a trailing
// dim of 2 words). The includer defines `cfg` (with `n`, the words to visit) and
// `fn each(i: u32)`.

@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

//#include common/each.wgsl
