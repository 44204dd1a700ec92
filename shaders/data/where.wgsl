// Where(x): the coordinates of the non-zero elements, in row-major order, as rows of `rank`
// values of O (i32, or i64 on adapters with SHADER_INT64), and their number in count[0] (the
// output's data-dependent length). Three passes over chunks of `chunk` elements (so that no
// invocation loops more than the host's loop budget), all binding the same four tensors:
// WHERE_COUNT, a workgroup per chunk, counts its non-zero elements into parts[chunk];
// WHERE_OFFSETS, one workgroup, turns those counts into each chunk's first row (and the total);
// WHERE_WRITE, a workgroup per chunk, walks it 256 elements at a time, a workgroup prefix sum
// placing each row.
alias T = f32;
alias O = i32;
//#include gen/where_stage.wgsl
override STAGE: u32 = WHERE_COUNT;

//#include gen/meta/where.wgsl

@group(0) @binding(0) var<uniform> cfg: WhereMeta;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<O>;
@group(0) @binding(3) var<storage, read_write> count: array<i32>;
// Each chunk's count (WHERE_COUNT), then its first row (WHERE_OFFSETS).
@group(0) @binding(4) var<storage, read_write> parts: array<u32>;

var<workgroup> sums: array<u32, 256>;
var<workgroup> chunk_total: atomic<u32>;

// Inclusive prefix sum of every invocation's v over the workgroup, and the workgroup's total
// (Hillis-Steele; call in uniform control flow).
fn group_scan(v: u32, lid: u32) -> vec2<u32> {
    sums[lid] = v;
    workgroupBarrier();
    for (var s = 1u; s < 256u; s <<= 1u) {
        var add = 0u;
        if (lid >= s) {
            add = sums[lid - s];
        }
        workgroupBarrier();
        sums[lid] += add;
        workgroupBarrier();
    }
    let r = vec2<u32>(sums[lid], sums[255]);
    workgroupBarrier();
    return r;
}

fn count_chunk(c: u32, lid: u32) {
    if (lid == 0u) {
        atomicStore(&chunk_total, 0u);
    }
    workgroupBarrier();
    var k = 0u;
    let end = min(c * cfg.chunk + cfg.chunk, cfg.n);
    for (var i = c * cfg.chunk + lid; i < end; i += 256u) {
        k += select(0u, 1u, x[i] != T(0));
    }
    atomicAdd(&chunk_total, k);
    workgroupBarrier();
    if (lid == 0u) {
        parts[c] = atomicLoad(&chunk_total);
    }
}

fn offsets(lid: u32) {
    // Each invocation takes a contiguous run of the chunks.
    let per = (cfg.nchunks + 255u) / 256u;
    let c0 = min(lid * per, cfg.nchunks);
    let c1 = min(c0 + per, cfg.nchunks);
    var k = 0u;
    for (var c = c0; c < c1; c++) {
        k += parts[c];
    }
    var first = group_scan(k, lid).x - k;
    for (var c = c0; c < c1; c++) {
        let v = parts[c];
        parts[c] = first;
        first += v;
    }
    if (lid == 255u) {
        count[0] = i32(first);
    }
}

fn write_chunk(c: u32, lid: u32) {
    var base = parts[c];
    let start = c * cfg.chunk;
    let end = min(start + cfg.chunk, cfg.n);
    for (var i0 = start; i0 < end; i0 += 256u) {
        let i = i0 + lid;
        var flag = 0u;
        if (i < end) {
            flag = select(0u, 1u, x[i] != T(0));
        }
        let at = group_scan(flag, lid);
        if (flag == 1u) {
            let row = base + at.x - 1u;
            var rem = i;
            for (var d = i32(cfg.rank) - 1; d >= 0; d--) {
                let dim = cfg.shape[u32(d) / 4u][u32(d) % 4u];
                y[row * cfg.rank + u32(d)] = O(rem % dim);
                rem /= dim;
            }
        }
        base += at.y;
    }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let c = (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
    switch STAGE {
        case WHERE_COUNT: {
            if (c < cfg.nchunks) {
                count_chunk(c, lid);
            }
        }
        case WHERE_OFFSETS: {
            offsets(lid);
        }
        case WHERE_WRITE, default: {
            if (c < cfg.nchunks) {
                write_chunk(c, lid);
            }
        }
    }
}
