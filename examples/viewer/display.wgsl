// The viewer's one render pass: a fullscreen triangle whose fragment shader draws, per pixel,
// the model's input (left) and output (right) straight from their storage buffers — the output
// buffer is the one `Model::run_into` copied the fetch into, never read back to the CPU — plus
// the classifier's top-k bars and all text (an 8x8 bitmap font in a storage buffer).

struct View {
    screen: vec2<f32>,
    flags: u32,        // bit 0: the target is sRGB (write linear values)
    n_items: u32,
    in_rect: vec4<f32>,   // x, y, w, h in pixels
    out_rect: vec4<f32>,
    in_dims: vec4<u32>,   // H, W, C, _
    out_dims: vec4<u32>,  // H, W, C, mode (0: image, 1: classifier, 2: mask over the input)
    in_map: vec4<f32>,    // scale, offset: colour = clamp(v * scale + offset, 0, 1)
    out_map: vec4<f32>,
    bars: vec4<f32>,      // classifier: bar x, first row y, bar width, row height
    cls: vec4<u32>,       // classifier: rows shown, _, _, _
    text: vec4<u32>,      // word offsets in `text_data`: labels, label stride (words), chars, _
    // Where text can be (so most pixels skip the text loop): rows above .x, rows from .y on,
    // and rows .z to .w left of the bars or right of them.
    text_rows: vec4<f32>,
}

struct Item {
    pos: vec2<f32>,   // top-left, pixels
    scale: f32,       // glyph pixel size (a glyph is 8x8 of them)
    kind: u32,        // 0: literal chars, 1: label of top-k row `rank`, 2: percentage of row `rank`
    start: u32,       // kind 0: first char (byte index into the chars region)
    len: u32,         // chars
    color: u32,       // RGBA8, R in the low byte
    rank: u32,
}

@group(0) @binding(0) var<uniform> view: View;
@group(0) @binding(1) var<storage, read> input_px: array<f32>;
@group(0) @binding(2) var<storage, read> output_px: array<f32>;
// Written by topk.wgsl: [0..8) class indices, [8..16) values (f32 bits) of the top rows.
@group(0) @binding(3) var<storage, read> topk: array<u32>;
@group(0) @binding(4) var<storage, read> items: array<Item>;
// [0, 256): the font, 128 glyphs x 2 words (8 rows of 8 bits, bit 0 = left); then labels
// (4 chars per word, `view.text.y` words each), then the literal chars of the items.
@group(0) @binding(5) var<storage, read> text_data: array<u32>;

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    let uv = vec2<f32>(f32((i << 1u) & 2u), f32(i & 2u));
    return vec4<f32>(uv * 2.0 - 1.0, 0.0, 1.0);
}

fn inside(p: vec2<f32>, r: vec4<f32>) -> bool {
    return p.x >= r.x && p.y >= r.y && p.x < r.x + r.z && p.y < r.y + r.w;
}

// Nearest sample of an HWC image that fills `r`.
fn texel(p: vec2<f32>, r: vec4<f32>, dims: vec4<u32>) -> vec2<u32> {
    let x = min(u32(floor((p.x - r.x) * f32(dims.y) / r.z)), dims.y - 1u);
    let y = min(u32(floor((p.y - r.y) * f32(dims.x) / r.w)), dims.x - 1u);
    return vec2<u32>(x, y);
}

fn sample_input(p: vec2<f32>) -> vec3<f32> {
    return sample_input_in(p, view.in_rect);
}

// The input image filling rectangle `r`.
fn sample_input_in(p: vec2<f32>, r: vec4<f32>) -> vec3<f32> {
    let t = texel(p, r, view.in_dims);
    let c = view.in_dims.z;
    let base = (t.y * view.in_dims.y + t.x) * c;
    var rgb = vec3<f32>(input_px[base]);
    if (c >= 3u) {
        rgb = vec3<f32>(input_px[base], input_px[base + 1u], input_px[base + 2u]);
    }
    return clamp(rgb * view.in_map.x + view.in_map.y, vec3<f32>(0.0), vec3<f32>(1.0));
}

fn sample_output(p: vec2<f32>) -> vec3<f32> {
    let t = texel(p, view.out_rect, view.out_dims);
    let c = view.out_dims.z;
    let base = (t.y * view.out_dims.y + t.x) * c;
    var rgb = vec3<f32>(output_px[base]);
    if (c >= 3u) {
        rgb = vec3<f32>(output_px[base], output_px[base + 1u], output_px[base + 2u]);
    }
    return clamp(rgb * view.out_map.x + view.out_map.y, vec3<f32>(0.0), vec3<f32>(1.0));
}

// A segmentation mask (channel 0 of the output, mapped to 0..1 by out_map) over the input: the
// input keeps its colours where the mask is 1 and fades to a dim gray where it is 0; a blue rim
// marks where the mask crosses 0.5.
fn sample_mask(p: vec2<f32>) -> vec3<f32> {
    let t = texel(p, view.out_rect, view.out_dims);
    let v = output_px[(t.y * view.out_dims.y + t.x) * view.out_dims.z];
    let m = clamp(v * view.out_map.x + view.out_map.y, 0.0, 1.0);
    let src = sample_input_in(p, view.out_rect);
    let gray = vec3<f32>(dot(src, vec3<f32>(0.299, 0.587, 0.114)) * 0.35);
    let rim = 4.0 * m * (1.0 - m);
    return mix(mix(gray, src, m), vec3<f32>(0.25, 0.65, 1.0), 0.5 * rim);
}

fn byte_at(index: u32) -> u32 {
    return (text_data[index / 4u] >> ((index % 4u) * 8u)) & 0xffu;
}

fn glyph_bit(ch: u32, gx: u32, gy: u32) -> bool {
    let c = min(ch, 127u);
    let word = text_data[c * 2u + gy / 4u];
    let row = (word >> ((gy % 4u) * 8u)) & 0xffu;
    return ((row >> gx) & 1u) == 1u;
}

// "100.0%" / " 97.3%" / "  0.4%": six characters.
fn percent_char(v: f32, i: u32) -> u32 {
    let d = u32(round(clamp(v, 0.0, 1.0) * 1000.0));
    let hundreds = d / 1000u;
    let tens = (d / 100u) % 10u;
    let ones = (d / 10u) % 10u;
    let tenths = d % 10u;
    switch i {
        case 0u: { return select(32u, 48u + hundreds, hundreds > 0u); }
        case 1u: { return select(32u, 48u + tens, hundreds > 0u || tens > 0u); }
        case 2u: { return 48u + ones; }
        case 3u: { return 46u; }
        case 4u: { return 48u + tenths; }
        default: { return 37u; }
    }
}

fn item_char(it: Item, i: u32) -> u32 {
    if (it.kind == 0u) {
        return byte_at(view.text.z * 4u + it.start + i);
    }
    if (it.kind == 1u) {
        let cls_index = topk[it.rank];
        return byte_at((view.text.x + cls_index * view.text.y) * 4u + i);
    }
    return percent_char(bitcast<f32>(topk[8u + it.rank]), i);
}

fn unpack_color(c: u32) -> vec4<f32> {
    return vec4<f32>(f32(c & 0xffu), f32((c >> 8u) & 0xffu), f32((c >> 16u) & 0xffu), f32(c >> 24u)) / 255.0;
}

@fragment
fn fs_main(@builtin(position) pos: vec4<f32>) -> @location(0) vec4<f32> {
    let p = pos.xy;
    // Background: a dark vertical gradient.
    var rgb = mix(vec3<f32>(0.09, 0.10, 0.13), vec3<f32>(0.05, 0.05, 0.07), p.y / view.screen.y);

    if (inside(p, view.in_rect)) {
        rgb = sample_input(p);
    }
    if (view.out_dims.w == 0u) {
        if (inside(p, view.out_rect)) {
            rgb = sample_output(p);
        }
    } else if (view.out_dims.w == 2u) {
        if (inside(p, view.out_rect)) {
            rgb = sample_mask(p);
        }
    } else {
        // Classifier: one bar per top-k row.
        let b = view.bars;
        let row_f = (p.y - b.y) / b.w;
        if (row_f >= 0.0 && row_f < f32(view.cls.x) && p.x >= b.x && p.x < b.x + b.z) {
            let row = u32(floor(row_f));
            let in_row = fract(row_f);
            if (in_row > 0.15 && in_row < 0.85) {
                let v = clamp(bitcast<f32>(topk[8u + row]), 0.0, 1.0);
                let fill = p.x < b.x + b.z * v;
                let hot = select(vec3<f32>(0.25, 0.55, 0.95), vec3<f32>(1.0, 0.62, 0.15), row == 0u);
                rgb = select(vec3<f32>(0.18, 0.19, 0.23), hot, fill);
            }
        }
    }

    // Text, last item on top.
    let r = view.text_rows;
    let beside_bars = p.y >= r.z && p.y < r.w && (p.x < view.bars.x || p.x >= view.bars.x + view.bars.z);
    let n_items = select(0u, view.n_items, p.y < r.x || p.y >= r.y || beside_bars);
    for (var k = 0u; k < n_items; k++) {
        let it = items[k];
        let cell = 8.0 * it.scale;
        let q = (p - it.pos) / cell;
        if (q.x >= 0.0 && q.y >= 0.0 && q.y < 1.0 && q.x < f32(it.len)) {
            let ci = u32(floor(q.x));
            let gx = min(u32(floor(fract(q.x) * 8.0)), 7u);
            let gy = min(u32(floor(q.y * 8.0)), 7u);
            if (glyph_bit(item_char(it, ci), gx, gy)) {
                let c = unpack_color(it.color);
                rgb = mix(rgb, c.rgb, c.a);
            }
        }
    }

    if ((view.flags & 1u) != 0u) {
        // The target encodes to sRGB on write: hand it linear values.
        rgb = pow(rgb, vec3<f32>(2.2));
    }
    return vec4<f32>(rgb, 1.0);
}
