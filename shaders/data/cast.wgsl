// Casts between storage classes. CAST_FLOAT_TO_INT: f32 -> i32 (toward zero, saturating like a C cast of
// an in-range value); 1: i32 -> f32; 2: f32 -> bool; 3: i32 -> bool; 4: i32 -> i32 wrapped to
// `bits` bits (signed when `signed` is 1), for int8/uint8/int16/uint16 targets.
//#include gen/cast_mode.wgsl
override MODE: u32 = CAST_FLOAT_TO_INT;

//#include gen/meta/cast.wgsl

@group(0) @binding(0) var<uniform> cfg: CastMeta;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

fn wrap(v: i32) -> i32 {
    let shift = 32u - cfg.bits;
    if (cfg.signed == 1u) {
        return (v << shift) >> shift;
    }
    return i32((u32(v) << shift) >> shift);
}

//#include common/each.wgsl

fn each(i: u32) {
    let w = src[i];
    switch MODE {
        case CAST_FLOAT_TO_INT: { dst[i] = bitcast<u32>(wrap(i32(bitcast<f32>(w)))); }
        case CAST_INT_TO_FLOAT: { dst[i] = bitcast<u32>(f32(bitcast<i32>(w))); }
        case CAST_FLOAT_TO_BOOL: { dst[i] = select(0u, 1u, bitcast<f32>(w) != 0.0); }
        case CAST_INT_TO_BOOL: { dst[i] = select(0u, 1u, w != 0u); }
        case CAST_INT_TO_INT, default: { dst[i] = bitcast<u32>(wrap(bitcast<i32>(w))); }
    }
}
