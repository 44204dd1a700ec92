// The constant of data/pad.wgsl as an f16 element (`--precision f16`): the host passes the
// f32 bits of the constant, converted here. Replaces common/pad_bits.wgsl.

fn pad_value(i: u32) -> E {
    return E(bitcast<f32>(cfg.value));
}
