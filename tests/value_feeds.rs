//! Plans specialised on the values of small feeds that planning needs (`tf.range(n)` with a
//! fed `n`): learned on the first run, one plan per value, reused when a value comes back.
mod common;

use wgtf::Tensor;

#[test]
fn range_with_a_fed_limit_plans_per_value() {
    let ctx = common::context();
    let dir = common::fixtures_dir().join("fill_range_like");
    let model = ctx.load(dir.join("model.pb")).unwrap();
    let x = Tensor::from_f32(vec![2, 3, 4], vec![0.5; 24]).unwrap();
    let run = |n: i32| {
        let nt = Tensor::from_i32(vec![], vec![n]).unwrap();
        let out = model.run(&[("x:0", &x), ("n:0", &nt)], &["range_dynamic:0", "zeros_like:0"]).unwrap();
        (out[0].to_i64_vec().unwrap(), out[1].shape().to_vec())
    };
    assert_eq!(run(7), ((0..7).collect::<Vec<i64>>(), vec![2, 3, 4]));
    assert_eq!(run(3), (vec![0, 1, 2], vec![2, 3, 4]));
    let plans = model.stats().plans_created;
    assert_eq!(run(7).0.len(), 7);
    assert_eq!(model.stats().plans_created, plans, "a value seen before reuses its plan");
    assert_eq!(run(0).0, Vec::<i64>::new());
    // A negative limit is TensorFlow's error, not a panic.
    let bad = Tensor::from_i32(vec![], vec![-2]).unwrap();
    let err = model.run(&[("x:0", &x), ("n:0", &bad)], &["range_dynamic:0"]).unwrap_err().to_string();
    assert!(err.contains("range_dynamic"), "{err}");
}

#[test]
fn where_of_a_computed_mask_is_fetched_with_its_length() {
    let ctx = common::context();
    let dir = common::fixtures_dir().join("topk_where");
    let model = ctx.load(dir.join("model.pb")).unwrap();
    let m = Tensor::from_bool(vec![3, 4], (0..12).map(|i| i % 5 == 0).collect()).unwrap();
    let v = Tensor::from_bool(vec![7], vec![false; 7]).unwrap();
    let out = model.run(&[("m:0", &m), ("v:0", &v)], &["where_2d:0", "where_1d:0"]).unwrap();
    assert_eq!(out[0].shape(), &[3, 2]);
    assert_eq!(out[0].to_i64_vec().unwrap(), vec![0, 0, 1, 1, 2, 2]);
    assert_eq!(out[1].shape(), &[0, 1]);
}
