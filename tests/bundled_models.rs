//! The models bundled in models/ (made by models/make.py; selfie is a published TF.js model) run
//! on the GPU as TensorFlow runs them, and the CLI's image inputs and top-k output work on them.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use wgtf::Tensor;

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn digits_classifier_matches_tensorflow_on_held_out_digits() {
    let ctx = common::context();
    let d = models().join("digits");
    let model = ctx.load(d.join("model.pb")).unwrap();
    let x = Tensor::read_npy(d.join("test_x.npy")).unwrap();
    let y = Tensor::read_npy(d.join("test_y.npy")).unwrap().to_i64_vec().unwrap();
    let want = Tensor::read_npy(d.join("test_probs.npy")).unwrap().to_f32_vec().unwrap();
    let got = model.run(&[("x:0", &x)], &["probs:0"]).unwrap()[0].to_f32_vec().unwrap();
    assert!(max_diff(&got, &want) < 1e-4, "probabilities differ from TensorFlow's by {}", max_diff(&got, &want));
    let correct = got.chunks(10).zip(&y).filter(|(p, y)| wgtf::image::top_k(p, 1)[0].0 as i64 == **y).count();
    assert!(correct * 100 >= y.len() * 97, "held-out accuracy {correct}/{}", y.len());
    assert_eq!(wgtf::image::read_labels(d.join("labels.txt")).unwrap().len(), 10);
}

#[test]
fn image_models_match_tensorflow() {
    let ctx = common::context();
    let e = models().join("edges");
    let model = ctx.load(e.join("model.pb")).unwrap();
    let x = Tensor::read_npy(e.join("ref_in.npy")).unwrap();
    let want = Tensor::read_npy(e.join("ref_out.npy")).unwrap();
    let got = model.run(&[("image:0", &x)], &["output:0"]).unwrap().remove(0);
    assert_eq!(got.shape(), want.shape());
    assert!(max_diff(&got.to_f32_vec().unwrap(), &want.to_f32_vec().unwrap()) < 1e-4);

    // The blur keeps a constant image constant (away from the zero-padded border).
    let blur = ctx.load(models().join("blur/model.pb")).unwrap();
    let flat = Tensor::from_f32(vec![1, 24, 24, 3], vec![0.5; 24 * 24 * 3]).unwrap();
    let out = blur.run(&[("image:0", &flat)], &["output:0"]).unwrap()[0].to_f32_vec().unwrap();
    let centre = ((12 * 24) + 12) * 3;
    assert!((out[centre] - 0.5).abs() < 1e-4, "{}", out[centre]);
}

#[test]
fn selfie_segmentation_matches_tensorflow_on_the_astronaut() {
    // A published TF.js graph model (MediaPipe Selfie Segmentation) read from model.json, fed a
    // PNG as `wgtf run -i input_1:0=astronaut.png` reads it.
    let ctx = common::context();
    let model = ctx.load(models().join("selfie/model.json")).unwrap();
    let opts = wgtf::image::ImageOptions::default();
    let x = wgtf::image::read_feed(&model, "input_1:0", models().join("samples/astronaut.png"), &opts).unwrap();
    assert_eq!(x.shape(), &[1, 256, 256, 3]);
    let got = model.run(&[("input_1:0", &x)], &["activation_10:0"]).unwrap().remove(0);
    let want = Tensor::read_npy(models().join("selfie/ref_out.npy")).unwrap();
    assert_eq!(got.shape(), want.shape());
    let d = max_diff(&got.to_f32_vec().unwrap(), &want.to_f32_vec().unwrap());
    assert!(d < 1e-3, "the mask differs from TensorFlow's by {d}");
}

#[test]
fn image_file_feeds_the_classifier() {
    // A PNG digit, as `wgtf run -i x:0=3.png` reads it: NHWC float32 in 0..1.
    let ctx = common::context();
    let d = models().join("digits");
    let model = ctx.load(d.join("model.pb")).unwrap();
    let opts = wgtf::image::ImageOptions::default();
    for c in [3usize, 7] {
        let x = wgtf::image::read_feed(&model, "x:0", d.join(format!("samples/{c}.png")), &opts).unwrap();
        assert_eq!(x.shape(), &[1, 8, 8, 1]);
        let p = model.run(&[("x:0", &x)], &["probs:0"]).unwrap()[0].to_f32_vec().unwrap();
        assert_eq!(wgtf::image::top_k(&p, 1)[0].0, c, "{p:?}");
        // A larger image needs --resize, and the error says so.
        let big = d.join(format!("samples/{c}_32x32.png"));
        let e = wgtf::image::read_feed(&model, "x:0", &big, &opts).unwrap_err().to_string();
        assert!(e.contains("--resize 8x8"), "{e}");
        let small = wgtf::image::ImageOptions { resize: Some((8, 8)), ..Default::default() };
        let x = wgtf::image::read_feed(&model, "x:0", &big, &small).unwrap();
        let p = model.run(&[("x:0", &x)], &["probs:0"]).unwrap()[0].to_f32_vec().unwrap();
        assert_eq!(wgtf::image::top_k(&p, 1)[0].0, c, "{p:?}");
    }
}

#[test]
fn cli_prints_top_k_for_an_image() {
    let d = models().join("digits");
    let out = Command::new(env!("CARGO_BIN_EXE_wgtf"))
        .args(["run", "models/digits/model.pb", "-i", "x:0=models/digits/samples/7_32x32.png", "--resize", "8x8"])
        .args(["-o", "probs:0", "--labels", "models/digits/labels.txt", "--top", "3"])
        .current_dir(d.parent().unwrap().parent().unwrap())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let first = stdout.lines().find(|l| l.trim_start().starts_with("1.")).unwrap_or_default();
    assert!(first.contains("seven") && first.contains("(class 7)"), "{stdout}");
    assert_eq!(stdout.lines().filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit())).count(), 3, "{stdout}");

    // Without --resize, the error says what to add.
    let out = Command::new(env!("CARGO_BIN_EXE_wgtf"))
        .args(["run", "models/digits/model.pb", "-i", "x:0=models/digits/samples/7_32x32.png", "-o", "probs:0"])
        .current_dir(d.parent().unwrap().parent().unwrap())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("--resize 8x8"), "{stderr}");
}
