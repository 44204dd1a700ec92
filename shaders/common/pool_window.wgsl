// Shared by nn/pool.wgsl and nn/pool3d.wgsl: included with `//#include common/pool_window.wgsl`
// after the includer's `cfg` (with `n_out`). POOL_MAX: max (padding never wins); POOL_AVG: the
// average over the valid (unpadded) elements of the window, as TensorFlow does. The includer
// defines `fn pool(i: u32) -> f32`, output i's value, which `main` writes for every i < n_out.
//#include gen/pool_mode.wgsl
override MODE: u32 = POOL_MAX;

@group(0) @binding(1) var<storage, read> x: array<F>;
@group(0) @binding(2) var<storage, read_write> y: array<F>;

// What a window has seen: the max, the sum and the count of valid elements.
struct Window {
    best: f32,
    sum: f32,
    count: u32,
}

fn window_new() -> Window {
    return Window(-3.402823466e+38, 0.0, 0u);
}

fn window_add(w: Window, v: f32) -> Window {
    return Window(max(w.best, v), w.sum + v, w.count + 1u);
}

fn window_result(w: Window) -> f32 {
    var r = w.best;
    switch MODE {
        case POOL_AVG: { r = w.sum / f32(max(w.count, 1u)); }
        case POOL_MAX, default: {}
    }
    return r;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid;
    if (i >= cfg.n_out) {
        return;
    }
    y[i] = F(pool(i));
}
