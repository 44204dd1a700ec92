// TopKV2 on the last dim, rows of `len`, as a merge sort that keeps only the best k of every
// run. Order: larger values first, NaN above every number, ties to the lower index (a total
// order, so every (value, index) has one place).
// `block`: a workgroup sorts 256 elements of a row — each invocation counts the elements of
// the block that go before its own, over their keys in workgroup memory (a bitonic sort's 36
// barriers cost more on CPU adapters) — and writes the best `run` = min(k, 256) of them as a
// run: values and row indices; slots past the row's end are empty (index -1, after everything).
// `merge`: merges runs pairwise into runs of min(k, 2 run): each invocation places one element
// of a pair of runs at (its place in its run) + (how many of the other run go before it),
// found by binary search. Empty slots take part too (left ones before right ones), so the
// places of a pair are a permutation and every output slot is written once. A run without a
// partner (an odd count) is merged with an empty one.
// `maxima` and `block_filtered`: for a small k, the k-th best of the blocks' maxima (found by
// the same kernels on the maxima) is a threshold below which no element can be among the k
// best; `block_filtered` leaves those out, and most blocks rank nothing.
// Every invocation's loops are bounded (256 steps, or log2 of a run): rows of any length.
alias T = f32;

//#include gen/meta/top_k.wgsl

@group(0) @binding(0) var<uniform> cfg: TopKMeta;
// block: the input [rows, len]; merge: the runs' values.
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> values: array<T>;
@group(0) @binding(3) var<storage, read_write> indices: array<i32>;
// merge: the runs' indices; block_filtered: the best k of the blocks' maxima.
@group(0) @binding(4) var<storage, read> run_idx: array<i32>;

var<workgroup> block_k: array<u32, 256>;
var<workgroup> block_n: atomic<u32>;

const T_IS_FLOAT: bool = T(0.5) != T(0);

// An order-preserving key: larger values get larger keys, NaN the largest; -0 and +0 get the
// same key, and so do all NaNs (they tie, and ties go to the lower index).
fn key(v: T) -> u32 {
    if (!T_IS_FLOAT) {
        return bitcast<u32>(v) ^ 0x80000000u;
    }
    if (v != v) {
        return 0xffffffffu;
    }
    let b = select(bitcast<u32>(v), 0u, v == T(0));
    return select(b | 0x80000000u, ~b, (b >> 31u) == 1u);
}

// Whether (key p, index i) goes before (key q, index j): larger first, ties to the lower index.
fn before(p: u32, i: u32, q: u32, j: u32) -> bool {
    return p > q || (p == q && i < j);
}

// The run of block `w` (row, block) of 256, as the best `run` of its elements whose keys are
// at least `thr` (0: all of them).
fn block_run(w: u32, lid: u32, thr: u32) {
    let rows = cfg.rows;
    let len = cfg.len;
    let nblocks = cfg.runs;
    let run = cfg.run;
    let row = w / nblocks;
    let blk = w - row * nblocks;
    // Uniform per workgroup: every invocation reaches the barriers.
    let group_ok = row < rows;
    let j = blk * 256u + lid;
    var v = T(0);
    if (group_ok && j < len) {
        v = x[row * len + j];
    }
    let kv = key(v);
    let ok = group_ok && j < len && kv >= thr;
    // Left-out slots get key 0: below every element's, or equal to that of i32's minimum,
    // which no threshold leaves out; past the row's end, their indices are higher.
    block_k[lid] = select(0u, kv, ok);
    if (lid == 0u) {
        atomicStore(&block_n, 0u);
    }
    workgroupBarrier();
    if (ok) {
        atomicAdd(&block_n, 1u);
    }
    workgroupBarrier();
    let n = atomicLoad(&block_n);
    if (!group_ok) {
        return;
    }
    let out = (row * nblocks + blk) * run;
    if (ok) {
        // The element's place in the block: how many go before it.
        var rank = 0u;
        for (var q = 0u; q < 256u; q += 4u) {
            rank += select(0u, 1u, before(block_k[q], q, kv, lid))
                + select(0u, 1u, before(block_k[q + 1u], q + 1u, kv, lid))
                + select(0u, 1u, before(block_k[q + 2u], q + 2u, kv, lid))
                + select(0u, 1u, before(block_k[q + 3u], q + 3u, kv, lid));
        }
        if (rank < run) {
            values[out + rank] = v;
            indices[out + rank] = i32(j);
        }
    }
    if (lid >= n && lid < run) {
        values[out + lid] = T(0);
        indices[out + lid] = -1;
    }
}

@compute @workgroup_size(256)
fn block(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
    block_run((wid.z * nwg.y + wid.y) * nwg.x + wid.x, lid, 0u);
}

// `block` for rows with a threshold: binding 4 holds the k best of the blocks' maxima (its
// values' bits), [rows, cfg.k]. At least k elements reach the k-th of them, so an
// element below it is not among the k best: it is left out of the runs.
@compute @workgroup_size(256)
fn block_filtered(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) lid: u32) {
    let w = (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
    let row = min(w / cfg.runs, cfg.rows - 1u);
    block_run(w, lid, key(bitcast<T>(run_idx[row * cfg.k + cfg.k - 1u])));
}

// The maximum (in the kernel's order) of each block of 256 of a row: [rows, nblocks] values.
@compute @workgroup_size(256)
fn maxima(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let t = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (t >= cfg.rows * cfg.runs) {
        return;
    }
    let row = t / cfg.runs;
    let blk = t - row * cfg.runs;
    let start = row * cfg.len + blk * 256u;
    let n = min(256u, cfg.len - blk * 256u);
    var best = x[start];
    var best_k = key(best);
    for (var q = 1u; q < n; q++) {
        let v = x[start + q];
        let k = key(v);
        if (k > best_k) {
            best = v;
            best_k = k;
        }
    }
    values[t] = best;
}

@compute @workgroup_size(256)
fn merge(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
    let e = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (e >= cfg.total) {
        return;
    }
    let nruns = cfg.runs;
    let run = cfg.run;
    let out_run = cfg.out_run;
    let pair_len = 2u * run;
    let row_len = cfg.out_runs * pair_len;
    let row = e / row_len;
    let rem = e - row * row_len;
    let pair = rem / pair_len;
    let off = rem - pair * pair_len;
    let right = off >= run;
    let i = select(off, off - run, right);
    let mine = 2u * pair + select(0u, 1u, right);
    let other = 2u * pair + select(1u, 0u, right);
    let in_row = row * nruns * run;
    var v = T(0);
    var idx = -1;
    if (mine < nruns) {
        v = x[in_row + mine * run + i];
        idx = run_idx[in_row + mine * run + i];
    }
    let kv = key(v);
    // How many of the other run go before this element. Empty slots go after every element,
    // and the left run's before the right run's.
    var n_before = 0u;
    if (right && idx < 0) {
        n_before = run;
    } else if (other < nruns) {
        let base = in_row + other * run;
        var lo = 0u;
        var hi = run;
        while (lo < hi) {
            let mid = (lo + hi) / 2u;
            let oi = run_idx[base + mid];
            var goes_before = oi >= 0;
            if (idx >= 0) {
                goes_before = goes_before && before(key(x[base + mid]), u32(oi), kv, u32(idx));
            }
            if (goes_before) {
                lo = mid + 1u;
            } else {
                hi = mid;
            }
        }
        n_before = lo;
    }
    let pos = i + n_before;
    if (pos < out_run) {
        let o = (row * cfg.out_runs + pair) * out_run + pos;
        values[o] = v;
        indices[o] = idx;
    }
}
