//! Headless mode renders what the model computes: run by `cargo test` (the example is built with
//! `test = true`), on lavapipe in CI.
use super::*;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wgtf-viewer-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn args(extra: &[&str], out: &Path) -> Args {
    let mut v = vec!["viewer", "--headless", "--width", "800", "--height", "480", "--out"];
    let out = out.to_str().expect("utf-8 temp path");
    v.push(out);
    v.extend_from_slice(extra);
    Args::try_parse_from(v).expect("arguments")
}

fn pixel(s: &Shot, x: usize, y: usize) -> [u8; 4] {
    let i = (y * s.width as usize + x) * 4;
    [s.rgba[i], s.rgba[i + 1], s.rgba[i + 2], s.rgba[i + 3]]
}

/// The PNG on disk is the frame, and every pixel of the output panel is the model's output
/// (computed again here through `Model::run` with a context of its own) after the viewer's
/// colour mapping; the input panel shows the input.
#[test]
fn headless_image_model_output_matches_run() {
    let out = tmp("edges.png");
    let shot = headless(&args(&["--show", "1", "--frames", "3", "--size", "64x48"], &out)).expect("headless render");
    assert!(shot.model_path.ends_with("models/edges/model.pb"), "{}", shot.model_path.display());

    let png = image::open(&out).expect("the PNG was written").to_rgba8();
    assert_eq!((png.width(), png.height()), (shot.width, shot.height));
    assert!(png.as_raw() == &shot.rgba, "the PNG differs from the rendered frame");

    let ctx = Context::new().expect("a GPU adapter");
    let model = ctx.load(&shot.model_path).expect("load");
    let y = model.run(&[(shot.input_name.as_str(), &shot.input)], &[shot.output_name.as_str()]).expect("run");
    let (h, w, c) = (y[0].shape()[1], y[0].shape()[2], y[0].shape()[3]);
    let yv = y[0].to_f32_vec().expect("f32");
    let xv = shot.input.to_f32_vec().expect("f32");

    let check = |rect: [f32; 4], values: &[f32], what: &str| {
        let [rx, ry, rw, rh] = rect;
        assert!(rw >= w as f32 && rh >= h as f32, "{what}: panel {rect:?} smaller than the image");
        let (mut worst, mut n) = (0i32, 0usize);
        for py in ry as usize..(ry + rh) as usize {
            for px in rx as usize..(rx + rw) as usize {
                // The shader's nearest sampling at the pixel centre.
                let tx = (((px as f32 + 0.5 - rx) * w as f32 / rw).floor() as usize).min(w - 1);
                let ty = (((py as f32 + 0.5 - ry) * h as f32 / rh).floor() as usize).min(h - 1);
                let base = (ty * w + tx) * c;
                let got = pixel(&shot, px, py);
                for k in 0..3 {
                    let want = shot.out_map.to_u8(values[base + k]) as i32;
                    worst = worst.max((got[k] as i32 - want).abs());
                }
                n += 1;
            }
        }
        assert!(n >= h * w, "{what}: {n} pixels checked");
        assert!(worst <= 1, "{what}: a pixel is off by {worst}/255 from the model's values");
    };
    check(shot.layout.out_rect, &yv, "output panel");
    check(shot.layout.in_rect, &xv, "input panel");

    // The output is not trivially blank: edges of the pattern light up.
    let bright = yv.iter().filter(|v| **v > 0.5).count();
    assert!(bright > yv.len() / 200, "the edges model found almost no edges ({bright} bright values)");
}

/// Classifier: the top bar's length is the top probability that `Model::run` computes (the
/// viewer finds it on the GPU, from the output buffer, without reading it back).
#[test]
fn headless_classifier_top_bar_matches_run() {
    let out = tmp("digits.png");
    let shot = headless(&args(&["--show", "0", "--frames", "1"], &out)).expect("headless render");
    assert!(shot.model_path.ends_with("models/digits/model.pb"));
    let ctx = Context::new().expect("a GPU adapter");
    let model = ctx.load(&shot.model_path).expect("load");
    let y = model.run(&[(shot.input_name.as_str(), &shot.input)], &[shot.output_name.as_str()]).expect("run");
    let p = y[0].to_f32_vec().expect("f32");
    let top = wgtf::image::top_k(&p, 2);
    // The first held-out digit, classified confidently.
    let label = Tensor::read_npy(root().join("models/digits/test_y.npy")).expect("labels").to_i64_vec().expect("i64")[0];
    assert_eq!(top[0].0 as i64, label, "the model misreads held-out digit #0: {p:?}");

    let [bx, by, bw, row_h] = shot.layout.bars;
    let measure = |row: usize| -> f32 {
        let y = (by + row_h * (row as f32 + 0.5)) as usize;
        // Filled pixels are orange (row 0) or blue; the track is dark gray.
        (bx as usize..(bx + bw) as usize)
            .filter(|&x| {
                let [r, g, b, _] = pixel(&shot, x, y);
                (r as i32 - g as i32).abs() > 40 || (b as i32 - r as i32) > 40
            })
            .count() as f32
    };
    let (len0, len1) = (measure(0), measure(1));
    assert!((len0 - top[0].1 * bw).abs() <= 2.0, "top bar {len0} px, expected {} px of {bw}", top[0].1 * bw);
    assert!((len1 - top[1].1 * bw).abs() <= 2.0, "second bar {len1} px, expected {} px", top[1].1 * bw);
}

/// Segmentation: the bundled selfie model (a published TF.js graph model) on the bundled
/// astronaut photo. The right panel is the input where the mask is 1 and a dim gray where it is
/// 0 (with a rim where it crosses 0.5), every pixel as `Model::run`'s mask says.
#[test]
fn headless_mask_over_the_input_matches_run() {
    let out = tmp("selfie.png");
    let shot = headless(&args(&["--show", "3", "--source", "3", "--frames", "1"], &out)).expect("headless render");
    assert!(shot.model_path.ends_with("models/selfie/model.json"), "{}", shot.model_path.display());
    let ctx = Context::new().expect("a GPU adapter");
    let model = ctx.load(&shot.model_path).expect("load");
    let y = model.run(&[(shot.input_name.as_str(), &shot.input)], &[shot.output_name.as_str()]).expect("run");
    assert_eq!(y[0].shape(), &[1, 256, 256, 1]);
    let m = y[0].to_f32_vec().expect("f32");
    let x = shot.input.to_f32_vec().expect("f32");
    // The photo is the astronaut: about half of it is person.
    let person = m.iter().filter(|v| **v > 0.5).count() as f32 / m.len() as f32;
    assert!((0.3..0.8).contains(&person), "{person} of the astronaut is person");
    let [rx, ry, rw, rh] = shot.layout.out_rect;
    let (h, w) = (256usize, 256usize);
    let mut worst = 0i32;
    for py in (ry as usize..(ry + rh) as usize).step_by(3) {
        for px in (rx as usize..(rx + rw) as usize).step_by(3) {
            let tx = (((px as f32 + 0.5 - rx) * w as f32 / rw).floor() as usize).min(w - 1);
            let ty = (((py as f32 + 0.5 - ry) * h as f32 / rh).floor() as usize).min(h - 1);
            let v = m[ty * w + tx].clamp(0.0, 1.0);
            let src: Vec<f32> = (0..3).map(|k| x[(ty * w + tx) * 3 + k].clamp(0.0, 1.0)).collect();
            let gray = (0.299 * src[0] + 0.587 * src[1] + 0.114 * src[2]) * 0.35;
            let rim = 4.0 * v * (1.0 - v);
            let tint = [0.25, 0.65, 1.0];
            let got = pixel(&shot, px, py);
            for k in 0..3 {
                let base = gray + (src[k] - gray) * v;
                let want = ((base + (tint[k] - base) * 0.5 * rim) * 255.0).round() as i32;
                worst = worst.max((got[k] as i32 - want).abs());
            }
        }
    }
    assert!(worst <= 2, "a pixel of the mask panel is off by {worst}/255");
}

#[test]
fn bad_arguments_say_what_to_do() {
    let out = tmp("never.png");
    let e = headless(&args(&["--model", "no/such/model.pb"], &out)).err().expect("an error");
    assert!(e.contains("no/such/model.pb"), "{e}");
    let e = headless(&args(&["--show", "7"], &out)).err().expect("an error");
    assert!(e.contains("--show 7"), "{e}");
    assert!(parse_range("1:0").is_err() && parse_range("-1:1").is_ok());
}

#[test]
fn shaders_validate() {
    for (name, src) in [("display.wgsl", include_str!("display.wgsl")), ("topk.wgsl", include_str!("topk.wgsl"))] {
        let module = naga::front::wgsl::parse_str(src).unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(src)));
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(src)));
    }
}
