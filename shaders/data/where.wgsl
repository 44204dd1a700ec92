// Where(x): the coordinates of the non-zero elements, in row-major order, as rows of `rank`
// i32 values, and their number in count[0] (the output's data-dependent length). One
// workgroup walks the input 256 elements at a time; a workgroup prefix sum places each row.
alias T = f32;

struct Meta {
    n: u32,
    rank: u32,
    _pad0: u32,
    _pad1: u32,
    shape: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> cfg: Meta;
@group(0) @binding(1) var<storage, read> x: array<T>;
@group(0) @binding(2) var<storage, read_write> y: array<i32>;
@group(0) @binding(3) var<storage, read_write> count: array<i32>;

var<workgroup> sums: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
    var base = 0u;
    let chunks = (cfg.n + 255u) / 256u;
    for (var c = 0u; c < chunks; c++) {
        let i = c * 256u + lid;
        var flag = 0u;
        if (i < cfg.n) {
            flag = select(0u, 1u, x[i] != T(0));
        }
        sums[lid] = flag;
        workgroupBarrier();
        // Inclusive Hillis-Steele scan.
        for (var s = 1u; s < 256u; s <<= 1u) {
            var add = 0u;
            if (lid >= s) {
                add = sums[lid - s];
            }
            workgroupBarrier();
            sums[lid] += add;
            workgroupBarrier();
        }
        if (flag == 1u) {
            let row = base + sums[lid] - 1u;
            var rem = i;
            for (var d = i32(cfg.rank) - 1; d >= 0; d--) {
                let dim = cfg.shape[u32(d) / 4u][u32(d) % 4u];
                y[row * cfg.rank + u32(d)] = i32(rem % dim);
                rem /= dim;
            }
        }
        base += sums[255];
        workgroupBarrier();
    }
    if (lid == 0u) {
        count[0] = i32(base);
    }
}
