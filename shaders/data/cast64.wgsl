// Casts to and from 64-bit integers (int64 on adapters with SHADER_INT64). S is the source's
// element type, D the destination's (f32, i32 or i64). CAST64_CONVERT: numeric conversion (floats
// toward zero; integers wrapped to D's width); 1: to bool (x != 0); 2: to an integer of `bits`
// bits, wrapped (signed when `signed` is 1), D = i32.
alias S = i64;
alias D = f32;
//#include gen/cast64_mode.wgsl
override MODE: u32 = CAST64_CONVERT;

//#include gen/meta/cast.wgsl

@group(0) @binding(0) var<uniform> cfg: CastMeta;
@group(0) @binding(1) var<storage, read> src: array<S>;
@group(0) @binding(2) var<storage, read_write> dst: array<D>;

//#include common/each.wgsl

fn each(i: u32) {
    let x = src[i];
    switch MODE {
        case CAST64_TO_BOOL: { dst[i] = select(D(0), D(1), x != S(0)); }
        case CAST64_NARROW: {
            let shift = 32u - cfg.bits;
            let v = bitcast<u32>(i32(x)) << shift;
            dst[i] = D(select(bitcast<i32>(v >> shift), bitcast<i32>(v) >> shift, cfg.signed == 1u));
        }
        case CAST64_CONVERT, default: { dst[i] = D(x); }
    }
}
