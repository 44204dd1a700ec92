// Non-max suppression (NonMaxSuppressionV3/V4/V5) in one workgroup. Each round picks the
// alive box with the highest score (the lowest index among equal scores), then suppresses
// (hard: IoU > iou_threshold) or decays (soft-NMS: score *= exp(scale * IoU^2), dropped at or
// below score_threshold) every other alive box. This selects the same boxes in the same order
// as TensorFlow's lazy priority queue. Outputs are padded with zeros to `pad`; `count` gets the
// number selected.
// The rounds run in dispatches of `rounds` from round `first` (so that no invocation loops more
// than the host's loop budget): the first initialises the scores, each leaves the number
// selected in count[0] for the next (fewer than its first round: none left), the last pads.
override SOFT: bool = false;

//#include gen/meta/nms.wgsl

@group(0) @binding(0) var<uniform> cfg: NmsMeta;
@group(0) @binding(1) var<storage, read> boxes: array<f32>;
@group(0) @binding(2) var<storage, read> scores: array<f32>;
@group(0) @binding(3) var<storage, read_write> work: array<f32>;
@group(0) @binding(4) var<storage, read_write> alive: array<u32>;
@group(0) @binding(5) var<storage, read_write> sel_idx: array<i32>;
@group(0) @binding(6) var<storage, read_write> sel_score: array<f32>;
@group(0) @binding(7) var<storage, read_write> count: array<i32>;

var<workgroup> red_v: array<f32, 256>;
var<workgroup> red_i: array<u32, 256>;
var<workgroup> chosen: u32;
var<workgroup> done_before: u32;

fn iou(i: u32, j: u32) -> f32 {
    let ymin_i = min(boxes[i * 4u], boxes[i * 4u + 2u]);
    let xmin_i = min(boxes[i * 4u + 1u], boxes[i * 4u + 3u]);
    let ymax_i = max(boxes[i * 4u], boxes[i * 4u + 2u]);
    let xmax_i = max(boxes[i * 4u + 1u], boxes[i * 4u + 3u]);
    let ymin_j = min(boxes[j * 4u], boxes[j * 4u + 2u]);
    let xmin_j = min(boxes[j * 4u + 1u], boxes[j * 4u + 3u]);
    let ymax_j = max(boxes[j * 4u], boxes[j * 4u + 2u]);
    let xmax_j = max(boxes[j * 4u + 1u], boxes[j * 4u + 3u]);
    let area_i = (ymax_i - ymin_i) * (xmax_i - xmin_i);
    let area_j = (ymax_j - ymin_j) * (xmax_j - xmin_j);
    if (area_i <= 0.0 || area_j <= 0.0) {
        return 0.0;
    }
    let ih = max(min(ymax_i, ymax_j) - max(ymin_i, ymin_j), 0.0);
    let iw = max(min(xmax_i, xmax_j) - max(xmin_i, xmin_j), 0.0);
    let inter = ih * iw;
    return inter / (area_i + area_j - inter);
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
    let n = cfg.n;
    if (cfg.first == 0u) {
        for (var i = lid; i < n; i += 256u) {
            let s = scores[i];
            work[i] = s;
            alive[i] = select(0u, 1u, s > cfg.score_threshold);
        }
        storageBarrier();
        workgroupBarrier();
    } else if (lid == 0u) {
        done_before = u32(count[0]);
    }
    var selected = 0u;
    if (cfg.first != 0u) {
        selected = workgroupUniformLoad(&done_before);
    }
    // Fewer selected than rounds run: no box was left.
    let end = select(min(cfg.first + cfg.rounds, cfg.max_out), cfg.first, selected < cfg.first);
    for (var it = cfg.first; it < end; it++) {
        var bv = 0.0;
        var bi = n;
        for (var i = lid; i < n; i += 256u) {
            if (alive[i] != 0u) {
                let v = work[i];
                if (bi == n || v > bv) {
                    bv = v;
                    bi = i;
                }
            }
        }
        red_v[lid] = bv;
        red_i[lid] = bi;
        workgroupBarrier();
        for (var s = 128u; s > 0u; s = s >> 1u) {
            if (lid < s) {
                let oi = red_i[lid + s];
                let ov = red_v[lid + s];
                let mi = red_i[lid];
                if (oi != n && (mi == n || ov > red_v[lid] || (ov == red_v[lid] && oi < mi))) {
                    red_v[lid] = ov;
                    red_i[lid] = oi;
                }
            }
            workgroupBarrier();
        }
        if (lid == 0u) {
            chosen = red_i[0];
        }
        let c = workgroupUniformLoad(&chosen);
        if (c >= n) {
            break;
        }
        if (lid == 0u) {
            sel_idx[it] = i32(c);
            sel_score[it] = work[c];
            alive[c] = 0u;
        }
        selected = it + 1u;
        storageBarrier();
        workgroupBarrier();
        for (var i = lid; i < n; i += 256u) {
            if (alive[i] != 0u) {
                let sim = iou(i, c);
                if (SOFT) {
                    let v = work[i] * exp(cfg.scale * sim * sim);
                    work[i] = v;
                    if (v <= cfg.score_threshold) {
                        alive[i] = 0u;
                    }
                } else if (sim > cfg.iou_threshold) {
                    alive[i] = 0u;
                }
            }
        }
        storageBarrier();
        workgroupBarrier();
    }
    if (cfg.first + cfg.rounds >= cfg.max_out) {
        for (var j = selected + lid; j < cfg.pad; j += 256u) {
            sel_idx[j] = 0;
            sel_score[j] = 0.0;
        }
    }
    if (lid == 0u) {
        count[0] = i32(selected);
    }
}
