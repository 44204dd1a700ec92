// Shared by the kernels that move 32-bit words from one tensor to another by index arithmetic
// (data/copy_into.wgsl, data/strided_copy.wgsl, data/pad.wgsl): included with
// `//#include common/copy_words.wgsl`. Elements of any dtype are words (64-bit ones a trailing
// dim of 2 words). The includer defines `cfg` (with `n`, the words to visit) and
// `fn each(i: u32)`, and `alias E = u32;`, the element type: f16 when the tensors are held as
// f16 (`--precision f16`; then `n` and the indices count f16 elements).

@group(0) @binding(1) var<storage, read> src: array<E>;
@group(0) @binding(2) var<storage, read_write> dst: array<E>;

//#include common/each.wgsl
