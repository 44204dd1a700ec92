//! The device's limits and faults (issue 9): tensors beyond `max_storage_buffer_binding_size`,
//! dispatches beyond 65535 workgroups, running out of memory, and a lost device. Low limits are
//! forced with `ContextOptions::limits`, so these run the same on any adapter.
mod common;
mod hardening;

use hardening::*;
use wgtf::{Context, ContextOptions, Error, LoadOptions, Tensor};

/// A context whose device has the default adapter's limits, changed by `f`.
fn context_with(f: impl FnOnce(&mut wgpu::Limits)) -> Context {
    let mut limits = common::context().limits().clone();
    f(&mut limits);
    Context::new_with(ContextOptions { limits: Some(limits), ..common::options() }).expect("a context with lowered limits")
}

/// `x[?, n] → Relu → y`.
fn relu(n: i64) -> Vec<u8> {
    bytes(vec![placeholder("x", F32, &[-1, n]), op("y", "Relu", &["x"])])
}

fn ramp(rows: usize, n: usize) -> Tensor {
    Tensor::from_f32(vec![rows, n], (0..rows * n).map(|i| (i % 1000) as f32 - 500.0).collect()).unwrap()
}

fn check_relu(x: &Tensor, y: &Tensor) {
    let (x, y) = (x.as_f32().unwrap(), y.as_f32().unwrap());
    assert_eq!(x.len(), y.len());
    if let Some(i) = (0..x.len()).find(|&i| y[i] != x[i].max(0.0)) {
        panic!("element {i} of {}: relu({}) gave {}", x.len(), x[i], y[i]);
    }
}

#[test]
fn the_limits_option_lowers_the_devices_limits() {
    let ctx = context_with(|l| {
        l.max_storage_buffer_binding_size = 1 << 20;
        l.max_buffer_size = 4 << 20;
    });
    assert_eq!(ctx.limits().max_storage_buffer_binding_size, 1 << 20);
    assert_eq!(ctx.limits().max_buffer_size, 4 << 20);
    // Limits above the adapter's cannot be had: a clean error.
    let mut too_much = common::context().limits().clone();
    too_much.max_bind_groups = u32::MAX;
    let e = Context::new_with(ContextOptions { limits: Some(too_much), ..common::options() }).unwrap_err();
    assert!(matches!(e, Error::Device(_)), "{e}");
}

#[test]
fn tensors_beyond_the_binding_limit_are_split_or_refused_and_the_context_stays_usable() {
    // 1 MiB per binding: 262 144 floats.
    let ctx = context_with(|l| l.max_storage_buffer_binding_size = 1 << 20);
    let m = ctx.load_graph_def(&relu(1024), &LoadOptions::default()).unwrap();
    let small = ramp(64, 1024); // 256 KiB
    check_relu(&small, &m.run(&[("x", &small)], &["y"]).unwrap()[0]);
    // An elementwise op over a tensor beyond the limit runs in chunks over windows of it.
    let big = ramp(300, 1024); // 1.2 MiB
    check_relu(&big, &m.run(&[("x", &big)], &["y"]).unwrap()[0]);
    assert_eq!(m.plan_for(&[("x", &big)], &["y"]).unwrap().dispatches, 2, "1.2 MiB of Relu in two windows");
    // A kernel that cannot split its input (a softmax reads whole rows) is refused, naming the
    // tensor and the node, and nothing stays allocated.
    let sm = ctx.load_graph_def(&bytes(vec![placeholder("x", F32, &[-1, 1024]), op("y", "Softmax", &["x"])]), &LoadOptions::default()).unwrap();
    let before = ctx.memory_bytes();
    let e = sm.run(&[("x", &big)], &["y"]).unwrap_err();
    assert!(matches!(e, Error::OutOfMemory(_)) && e.to_string().contains("x:0") && e.to_string().contains("'y' (Softmax)"), "{e}");
    assert!(e.to_string().contains("max_storage_buffer_binding_size"), "{e}");
    assert_eq!(ctx.memory_bytes(), before, "the refused run kept GPU memory");
    // The largest tensor that fits still runs, exactly at the limit.
    let edge = ramp(256, 1024);
    check_relu(&edge, &m.run(&[("x", &edge)], &["y"]).unwrap()[0]);
    check_relu(&small, &m.run(&[("x", &small)], &["y"]).unwrap()[0]);

    // A constant beyond the binding limit loads (buffers may be larger than a binding), but an
    // elementwise op cannot split it: the run is refused naming the constant and the node.
    let w: Vec<f32> = vec![0.5; 300 * 1024];
    let g = bytes(vec![placeholder("x", F32, &[1, 1024]), const_f32("w", &[300, 1024], &w), op("y", "Mul", &["x", "w"])]);
    let mw = ctx.load_graph_def(&g, &LoadOptions::default()).expect("a 1.2 MiB constant within max_buffer_size");
    let base = ctx.memory_bytes();
    let e = mw.run(&[("x", &ramp(1, 1024))], &["y"]).unwrap_err();
    assert!(matches!(e, Error::OutOfMemory(_)) && e.to_string().contains("'w:0'") && e.to_string().contains("'y' (Mul)"), "{e}");
    assert_eq!(ctx.memory_bytes(), base, "the refused run kept GPU memory");
    // A constant beyond max_buffer_size does not load, and nothing stays allocated.
    let small_bufs = context_with(|l| {
        l.max_storage_buffer_binding_size = 1 << 20;
        l.max_buffer_size = 1 << 20;
    });
    let base = small_bufs.memory_bytes();
    let e = small_bufs.load_graph_def(&g, &LoadOptions::default()).err().expect("a 1.2 MiB constant loaded into 1 MiB buffers");
    assert!(matches!(e, Error::OutOfMemory(_)) && e.to_string().contains("max_buffer_size"), "{e}");
    assert_eq!(small_bufs.memory_bytes(), base, "the failed load kept GPU memory");
    check_relu(&small, &m.run(&[("x", &small)], &["y"]).unwrap()[0]);
}

#[test]
fn out_of_memory_leaves_the_context_usable() {
    // Buffers of at most 2 MiB: a run whose activations need more fails to allocate them.
    let ctx = context_with(|l| {
        l.max_buffer_size = 2 << 20;
        l.max_storage_buffer_binding_size = 2 << 20;
    });
    let g = bytes(vec![
        placeholder("x", F32, &[-1, 1024]),
        op("a", "Relu", &["x"]),
        op("b", "Neg", &["a"]),
        op("y", "AddV2", &["a", "b"]),
    ]);
    let m = ctx.load_graph_def(&g, &LoadOptions::default()).unwrap();
    let start = (ctx.memory_bytes(), ctx.buffers_live());
    for rows in [700usize, 1, 600, 3] {
        let x = ramp(rows, 1024);
        let r = m.run(&[("x", &x)], &["y", "b"]);
        if rows * 1024 * 4 > 2 << 20 {
            let e = r.unwrap_err();
            assert!(matches!(e, Error::OutOfMemory(_)), "{rows} rows: {e}");
        } else {
            let out = r.unwrap();
            let want: Vec<f32> = x.as_f32().unwrap().iter().map(|v| -v.max(0.0)).collect();
            assert_eq!(out[1].as_f32().unwrap(), want.as_slice());
            assert!(out[0].as_f32().unwrap().iter().all(|&v| v == 0.0));
        }
    }
    drop(m);
    assert_eq!((ctx.memory_bytes(), ctx.buffers_live()), start, "memory of failed runs was not released");
    // A model loads and runs after all that.
    let m2 = ctx.load_graph_def(&relu(8), &LoadOptions::default()).unwrap();
    let x = ramp(2, 8);
    check_relu(&x, &m2.run(&[("x", &x)], &["y"]).unwrap()[0]);
}

#[test]
fn grids_beyond_65535_workgroups_are_folded() {
    // 65535 workgroups of 256 threads cover 16 776 960 elements: one more row makes the 1-D
    // dispatch fold into 2-D. Every element is checked, the last ones too.
    let ctx = common::context();
    let n = 4099usize;
    let rows = 4096usize; // 16 789 504 elements
    assert!(rows * n > 65535 * 256);
    let g = bytes(vec![
        placeholder("x", F32, &[-1, n as i64]),
        const_f32("b", &[n as i64], &(0..n).map(|i| i as f32).collect::<Vec<_>>()),
        op("r", "Relu", &["x"]),
        op("y", "AddV2", &["r", "b"]),
    ]);
    let m = ctx.load_graph_def(&g, &LoadOptions::default()).unwrap();
    let plan = m.plan_summary(&[("x", wgtf::DType::F32, vec![rows, n])], &["y"]).unwrap();
    assert!(plan.dispatches >= 1);
    let x = ramp(rows, n);
    let y = m.run(&[("x", &x)], &["y"]).unwrap();
    let (xv, yv) = (x.as_f32().unwrap(), y[0].as_f32().unwrap());
    assert_eq!(yv.len(), rows * n);
    if let Some(i) = (0..xv.len()).find(|&i| yv[i] != xv[i].max(0.0) + (i % n) as f32) {
        panic!("element {i}: got {}, want {}", yv[i], xv[i].max(0.0) + (i % n) as f32);
    }
    // The grid folding itself, for every size class up to 65535^2 groups and past it.
    for g in [1usize, 65535, 65536, 65535 * 2 + 1, 65535 * 65535, 65535 * 65535 + 1] {
        let [x, y, z] = wgtf::kernel::spread_groups(g);
        assert!(x <= 65535 && y <= 65535 && z <= 65535, "{g}: {x} {y} {z}");
        assert!(x as usize * y as usize * z as usize >= g, "{g}");
    }
}

#[test]
fn a_device_with_fewer_workgroups_per_dimension_refuses_larger_dispatches() {
    let ctx = context_with(|l| l.max_compute_workgroups_per_dimension = 64);
    let m = ctx.load_graph_def(&relu(256), &LoadOptions::default()).unwrap();
    let ok = ramp(64, 256); // 64 groups
    check_relu(&ok, &m.run(&[("x", &ok)], &["y"]).unwrap()[0]);
    let big = ramp(65, 256); // 65 groups
    let e = m.run(&[("x", &big)], &["y"]).unwrap_err();
    assert!(matches!(e, Error::Node { ref node, .. } if node == "y") && e.to_string().contains("workgroups"), "{e}");
    check_relu(&ok, &m.run(&[("x", &ok)], &["y"]).unwrap()[0]);
}

#[test]
fn a_lost_device_is_an_error_on_the_next_run_and_a_new_context_works() {
    let ctx = Context::new_with(common::options()).unwrap();
    let m = ctx.load_graph_def(&relu(4), &LoadOptions::default()).unwrap();
    let x = ramp(3, 4);
    check_relu(&x, &m.run(&[("x", &x)], &["y"]).unwrap()[0]);
    // Lose the device (as a driver reset would).
    ctx.device().destroy();
    let _ = ctx.device().poll(wgpu::PollType::Wait { submission_index: None, timeout: None });
    for _ in 0..3 {
        let e = m.run(&[("x", &x)], &["y"]).unwrap_err();
        assert!(matches!(e, Error::Device(_)), "{e}");
    }
    let e = m.run(&[("x", &x)], &["y"]).unwrap_err();
    assert!(e.to_string().contains("lost"), "{e}");
    let e = ctx.load_graph_def(&relu(4), &LoadOptions::default()).err().expect("a model loaded on a lost device");
    assert!(matches!(e, Error::Device(_)), "{e}");
    // Another run with another shape (a new plan) fails the same way.
    let x2 = ramp(5, 4);
    assert!(matches!(m.run(&[("x", &x2)], &["y"]), Err(Error::Device(_))));
    drop(m);
    // A new context works.
    let ctx2 = Context::new_with(common::options()).unwrap();
    let m2 = ctx2.load_graph_def(&relu(4), &LoadOptions::default()).unwrap();
    check_relu(&x2, &m2.run(&[("x", &x2)], &["y"]).unwrap()[0]);
}

#[test]
fn matrix_products_split_weights_beyond_the_binding_limit() {
    // B is [1000, 72] floats = 288 000 bytes; bindings of 64 KiB hold 227 of its rows, so the
    // product runs as 6 partial products over windows of 192 rows (1000 = 5 × 192 + 40), each
    // adding the previous one, with the bias and Relu (fused into the product) on the last.
    let (m, k, n) = (13usize, 1000usize, 72usize);
    let a: Vec<f32> = (0..m * k).map(|i| ((i * 7919) % 2001) as f32 / 1000.0 - 1.0).collect();
    let b: Vec<f32> = (0..k * n).map(|i| ((i * 104729) % 1999) as f32 / 1000.0 - 1.0).collect();
    let bias: Vec<f32> = (0..n).map(|i| i as f32 * 0.01 - 0.3).collect();
    let g = bytes(vec![
        placeholder("a", F32, &[-1, k as i64]),
        const_f32("b", &[k as i64, n as i64], &b),
        const_f32("bias", &[n as i64], &bias),
        op("mm", "MatMul", &["a", "b"]),
        op("ba", "BiasAdd", &["mm", "bias"]),
        op("y", "Relu", &["ba"]),
    ]);
    let x = Tensor::from_f32(vec![m, k], a.clone()).unwrap();
    let want = common::context().load_graph_def(&g, &LoadOptions::default()).unwrap().run(&[("a", &x)], &["y"]).unwrap().remove(0);
    let ctx = context_with(|l| l.max_storage_buffer_binding_size = 64 << 10);
    let model = ctx.load_graph_def(&g, &LoadOptions::default()).unwrap();
    let got = model.run(&[("a", &x)], &["y"]).unwrap().remove(0);
    // Against a float64 reference too: the split sums in another order.
    for r in 0..m {
        for c in 0..n {
            let exact: f64 = (0..k).map(|i| a[r * k + i] as f64 * b[i * n + c] as f64).sum::<f64>() + bias[c] as f64;
            let (g, w) = (got.as_f32().unwrap()[r * n + c] as f64, want.as_f32().unwrap()[r * n + c] as f64);
            assert!((g - exact.max(0.0)).abs() < 1e-3 && (g - w).abs() < 1e-3, "[{r},{c}]: split {g}, whole {w}, exact {}", exact.max(0.0));
        }
    }
    let plan = model.plan_for(&[("a", &x)], &["y"]).unwrap();
    assert!(plan.dispatches >= 6, "expected the product in 6 windows, got {} dispatches", plan.dispatches);
}
