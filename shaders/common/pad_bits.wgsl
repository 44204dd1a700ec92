// The constant of data/pad.wgsl as an element of 32-bit words: its bit pattern (a 64-bit
// constant's low word at even words, high word at odd ones). common/pad_f16.wgsl replaces it
// when the elements are f16.

fn pad_value(i: u32) -> E {
    return select(cfg.value, cfg.value_hi, (i & 1u) == 1u);
}
