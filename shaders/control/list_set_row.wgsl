// out = a stacked list [rows, row_len] with row `idx[0]` replaced by `item` —
// TensorListSetItem / TensorArrayWrite with an index computed on the GPU. The list is copied
// (lists are values: the input stays valid). An index out of range changes nothing.
//#include gen/meta/list_row.wgsl

@group(0) @binding(0) var<uniform> cfg: ListRowMeta;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read> src: array<u32>;
@group(0) @binding(3) var<storage, read> item: array<u32>;
@group(0) @binding(4) var<storage, read_write> dst: array<u32>;

//#include common/each.wgsl

fn each(i: u32) {
    let r = idx[0];
    if (r >= 0 && i / cfg.row_len == u32(r)) {
        dst[i] = item[i % cfg.row_len];
    } else {
        dst[i] = src[i];
    }
}
