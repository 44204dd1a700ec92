//! Tensors whose length depends on the data (NonMaxSuppression, Where, boolean masks) read by
//! later ops, and values computed on the GPU that planning needs: a run reads them back at a
//! sync point and goes on with the plan for what it read, cached. Graphs without any keep one
//! submit per run.
mod common;

use wgtf::Tensor;

fn case_feeds(name: &str) -> (wgtf::Model, Vec<(String, Tensor)>) {
    let ctx = common::context();
    let case = common::load_case(&common::fixtures_dir().join(name));
    let model = ctx.load(&case.model).unwrap();
    let feeds = case.feeds.iter().map(|(n, p)| (n.clone(), Tensor::read_npy(p).unwrap())).collect();
    (model, feeds)
}

#[test]
fn nms_then_gather_syncs_once_and_caches_plans_per_length() {
    let (model, feeds) = case_feeds("tfjs_dynamic_lengths");
    let boxes = &feeds.iter().find(|(n, _)| n == "boxes:0").unwrap().1;
    let scores = &feeds.iter().find(|(n, _)| n == "scores:0").unwrap().1;
    let run = |s: &Tensor| model.run(&[("boxes:0", boxes), ("scores:0", s)], &["picked_boxes:0", "picked_shape:0"]).unwrap();
    let out = run(scores);
    let n = out[0].shape()[0];
    assert_eq!(out[1].to_i64_vec().unwrap(), vec![n as i64, 4]);
    // Every picked row is one of the input boxes, in order of decreasing score.
    let b = boxes.to_f32_vec().unwrap();
    let sv = scores.to_f32_vec().unwrap();
    let picked = out[0].to_f32_vec().unwrap();
    let mut last = f32::INFINITY;
    for row in picked.chunks(4) {
        let i = b.chunks(4).position(|r| r == row).expect("a picked row is an input box");
        assert!(sv[i] <= last && sv[i] >= 0.3);
        last = sv[i];
    }
    let s0 = model.stats();
    let again = run(scores);
    let s1 = model.stats();
    assert_eq!(again[0].to_f32_vec().unwrap(), picked);
    assert_eq!(s1.plans_created, s0.plans_created, "the plans for these lengths are reused");
    assert_eq!(s1.submits - s0.submits, 2, "one sync point: two submits");
    // Fewer boxes above the threshold: another length, another plan, the right rows.
    let low: Vec<f32> = sv.iter().enumerate().map(|(i, &v)| if i % 3 == 0 { v } else { 0.0 }).collect();
    let low = Tensor::from_f32(vec![low.len()], low).unwrap();
    let few = run(&low);
    assert!(few[0].shape()[0] < n, "{:?} vs {n}", few[0].shape());
    assert_eq!(few[1].to_i64_vec().unwrap(), vec![few[0].shape()[0] as i64, 4]);
    assert!(model.stats().plans_created > s1.plans_created);
    // No box above the threshold: an empty result, not an error.
    let none = Tensor::from_f32(vec![sv.len()], vec![0.0; sv.len()]).unwrap();
    let empty = run(&none);
    assert_eq!(empty[0].shape(), &[0, 4]);
    assert_eq!(empty[1].to_i64_vec().unwrap(), vec![0, 4]);
}

#[test]
fn plans_say_where_runs_sync_and_plain_graphs_submit_once() {
    let (model, _) = case_feeds("tfjs_dynamic_lengths");
    fn f(n: &str, s: Vec<usize>) -> (&str, wgtf::DType, Vec<usize>) {
        (n, wgtf::DType::F32, s)
    }
    let p = model.plan_summary(&[f("boxes:0", vec![60, 4]), f("scores:0", vec![60])], &["picked_sum:0", "valid_range:0"]).unwrap();
    assert!(!p.syncs.is_empty(), "{p:?}");
    assert!(p.syncs[0].contains("NonMaxSuppression") || p.syncs.iter().any(|s| s.contains("length")), "{:?}", p.syncs);
    // The bundled CNN has no data-dependent length: one submit per run, no sync point.
    let ctx = common::context();
    let digits = ctx.load(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/digits/model.pb")).unwrap();
    let x = Tensor::read_npy(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/digits/test_x.npy")).unwrap();
    let x = Tensor::from_f32(vec![1, 8, 8, 1], x.to_f32_vec().unwrap()[..64].to_vec()).unwrap();
    let inputs = digits.inputs();
    let outputs = digits.outputs();
    let s = digits.plan_for(&[(inputs[0].name.as_str(), &x)], &[outputs[0].as_str()]).unwrap();
    assert!(s.syncs.is_empty(), "{:?}", s.syncs);
    let before = digits.stats().submits;
    digits.run(&[(inputs[0].name.as_str(), &x)], &[outputs[0].as_str()]).unwrap();
    assert_eq!(digits.stats().submits - before, 1);
}

#[test]
fn a_data_dependent_value_feeds_planning() {
    // NonMaxSuppressionV5's valid_outputs (a count computed on the GPU) as tf.range's limit.
    let (model, feeds) = case_feeds("tfjs_dynamic_lengths");
    let get = |n: &str| &feeds.iter().find(|(k, _)| k == n).unwrap().1;
    let out = model.run(&[("boxes:0", get("boxes:0")), ("scores:0", get("scores:0"))], &["valid_range:0", "picked_boxes:0"]).unwrap();
    let n = out[1].shape()[0] as i64;
    assert_eq!(out[0].to_i64_vec().unwrap(), (0..n).collect::<Vec<_>>());
}

#[test]
fn many_threads_with_different_lengths_get_their_own_answers() {
    let (model, feeds) = case_feeds("tfjs_dynamic_lengths");
    let x = &feeds.iter().find(|(n, _)| n == "x:0").unwrap().1;
    let rows = x.shape()[0];
    let xv = x.to_f32_vec().unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let model = &model;
            let xv = xv.clone();
            s.spawn(move || {
                for k in 0..12 {
                    // Row i is kept when its first value is positive: vary which rows are.
                    let mut v = xv.clone();
                    for i in 0..rows {
                        v[i * 6] = if (i + t + k) % 3 == 0 { 1.0 + i as f32 } else { -1.0 };
                    }
                    let xt = Tensor::from_f32(vec![rows, 6], v.clone()).unwrap();
                    let out = model.run(&[("x:0", &xt)], &["masked_sum:0", "masked_count:0"]).unwrap();
                    let mut want = vec![0f32; 6];
                    let mut count = 0;
                    for row in v.chunks(6).filter(|r| r[0] > 0.0) {
                        count += 1;
                        want.iter_mut().zip(row).for_each(|(w, x)| *w += x);
                    }
                    assert_eq!(out[1].to_i64_vec().unwrap(), vec![count]);
                    for (g, w) in out[0].to_f32_vec().unwrap().iter().zip(&want) {
                        assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{g} vs {w}");
                    }
                }
            });
        }
    });
}
