// Top-k of a classifier's output, on the GPU: the output never comes back to the CPU, so the
// renderer learns which labels to draw from this buffer. One invocation: k passes over K classes.

struct Params {
    k: u32,        // rows wanted (at most 8)
    classes: u32,  // K
    softmax: u32,  // 1: the output holds logits; show softmax probabilities
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
// [0..8) class indices, [8..16) values as f32 bits.
@group(0) @binding(2) var<storage, read_write> topk: array<u32>;

const LOWEST: f32 = -3.0e38;

fn score(j: u32) -> f32 {
    let v = scores[j];
    // NaN and -inf sort last.
    return select(v, LOWEST, v != v || v < LOWEST);
}

@compute @workgroup_size(1)
fn main() {
    let n = params.classes;
    var mx = LOWEST;
    for (var j = 0u; j < n; j++) {
        mx = max(mx, score(j));
    }
    var sum = 0.0;
    if (params.softmax == 1u) {
        for (var j = 0u; j < n; j++) {
            sum += exp(score(j) - mx);
        }
    }
    // Order: larger value first, then smaller index. Each pass takes the first element after
    // the previous one in that order.
    var prev_v = 3.4e38;
    var prev_i = -1;
    for (var r = 0u; r < 8u; r++) {
        var best_i = -1;
        var best_v = LOWEST;
        if (r < params.k) {
            for (var j = 0u; j < n; j++) {
                let v = score(j);
                let after_prev = v < prev_v || (v == prev_v && i32(j) > prev_i);
                let better = best_i < 0 || v > best_v;
                if (after_prev && better) {
                    best_i = i32(j);
                    best_v = v;
                }
            }
        }
        if (best_i < 0) {
            topk[r] = 0u;
            topk[8u + r] = bitcast<u32>(0.0);
            continue;
        }
        prev_v = best_v;
        prev_i = best_i;
        var shown = best_v;
        if (params.softmax == 1u) {
            shown = exp(best_v - mx) / sum;
        }
        topk[r] = u32(best_i);
        topk[8u + r] = bitcast<u32>(shown);
    }
}
