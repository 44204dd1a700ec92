//! Classifies the bundled held-out handwritten digits on the GPU and prints predictions,
//! accuracy and latency.
//!
//!     cargo run --release --example digits
//!
//! The model (`models/digits/model.pb`) is a small CNN trained by `models/make.py` on
//! scikit-learn's 8x8 digits; `test_x.npy` holds the 450 digits it never saw in training.
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use wgtf::{Context, Tensor};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("digits: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// Digits side by side as ASCII art, with a caption under each.
fn ascii_art(x: &[f32], idx: &[usize], captions: &[String]) {
    const SHADES: &[u8] = b" .:-=+*#%@";
    for row in 0..8 {
        let mut line = String::from("  ");
        for &i in idx {
            for col in 0..8 {
                let v = x[i * 64 + row * 8 + col].clamp(0.0, 1.0);
                let c = SHADES[(v * (SHADES.len() - 1) as f32).round() as usize] as char;
                line.push(c);
                line.push(c);
            }
            line.push_str("    ");
        }
        println!("{}", line.trim_end());
    }
    let mut line = String::from("  ");
    for c in captions {
        line.push_str(&format!("{c:<20}"));
    }
    println!("{}", line.trim_end());
}

fn run() -> wgtf::Result<()> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/digits");
    let file = |name: &str| -> PathBuf { dir.join(name) };
    let labels = wgtf::image::read_labels(file("labels.txt"))?;
    let x = Tensor::read_npy(file("test_x.npy"))?;
    let y = Tensor::read_npy(file("test_y.npy"))?.to_i64_vec()?;
    let tf_probs = Tensor::read_npy(file("test_probs.npy"))?.to_f32_vec()?;
    let n = x.shape()[0];

    let t = Instant::now();
    let ctx = Context::new()?;
    let info = ctx.adapter_info();
    println!("device: {} ({:?}, {:?}) — context in {:.0} ms", info.name, info.backend, info.device_type, ms(t));
    let t = Instant::now();
    let model = ctx.load(file("model.pb"))?;
    println!("model:  {} — loaded in {:.1} ms (weights uploaded once: {} KiB)", rel(&file("model.pb")), ms(t), model.memory().weights / 1024);

    // Every held-out digit in one batch: x:0 is [N, 8, 8, 1], probs:0 is [N, 10].
    let t = Instant::now();
    let probs = model.run(&[("x:0", &x)], &["probs:0"])?;
    let first_ms = ms(t);
    let p = probs[0].to_f32_vec()?;
    let classes = labels.len();
    let pred: Vec<usize> = p.chunks(classes).map(|r| wgtf::image::top_k(r, 1)[0].0).collect();
    let correct = pred.iter().zip(&y).filter(|(p, y)| **p as i64 == **y).count();
    let tf_correct = tf_probs.chunks(classes).zip(&y).filter(|(r, y)| wgtf::image::top_k(r, 1)[0].0 as i64 == **y).count();
    let max_diff = p.iter().zip(&tf_probs).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);

    println!();
    let xs = x.to_f32_vec()?;
    let show: Vec<usize> = (0..6).collect();
    let caps: Vec<String> = show.iter().map(|&i| format!("→ {} ({:.0}%)", labels[pred[i]], 100.0 * p[i * classes + pred[i]])).collect();
    ascii_art(&xs, &show, &caps);
    println!();
    let k = n.min(40);
    println!("true:      {}", y[..k].iter().map(|v| v.to_string()).collect::<String>());
    println!("predicted: {}", pred[..k].iter().map(|v| v.to_string()).collect::<String>());
    println!("           {}  (first {k} of {n})", pred[..k].iter().zip(&y).map(|(p, y)| if *p as i64 == *y { ' ' } else { '^' }).collect::<String>());
    println!();
    println!(
        "accuracy:  {correct}/{n} = {:.2}% on held-out digits (TensorFlow: {:.2}%; largest |GPU − TensorFlow| probability difference {max_diff:.1e})",
        100.0 * correct as f64 / n as f64,
        100.0 * tf_correct as f64 / n as f64
    );
    let wrong: Vec<String> = (0..n)
        .filter(|&i| pred[i] as i64 != y[i])
        .take(8)
        .map(|i| format!("#{i}: a {} read as {} ({:.0}%)", y[i], pred[i], 100.0 * p[i * classes + pred[i]]))
        .collect();
    if !wrong.is_empty() {
        println!("mistakes:  {}", wrong.join(", "));
    }

    // Latency: the first run planned the graph and compiled its kernels; later runs reuse them.
    // Runs repeat for about a second each (at least a few times).
    let timed = |t: &Tensor, min: usize, max: usize| -> wgtf::Result<Vec<f64>> {
        let start = Instant::now();
        let mut v = Vec::new();
        while v.len() < min || (v.len() < max && start.elapsed().as_secs_f64() < 1.0) {
            let t0 = Instant::now();
            model.run(&[("x:0", t)], &["probs:0"])?;
            v.push(ms(t0));
        }
        v.sort_by(f64::total_cmp);
        Ok(v)
    };
    let batch = timed(&x, 2, 20)?;
    let batch_ms = batch[batch.len() / 2];
    let one = Tensor::from_f32(vec![1, 8, 8, 1], xs[..64].to_vec())?;
    model.run(&[("x:0", &one)], &["probs:0"])?; // plans batch 1
    let lat = timed(&one, 5, 200)?;
    let dispatches = model.plan_summary(&[("x:0", wgtf::DType::F32, vec![1, 8, 8, 1])], &["probs:0"])?.dispatches;
    println!(
        "latency:   batch of {n}: {batch_ms:.2} ms ({:.1} µs per digit; the first run took {first_ms:.0} ms: it plans and compiles the kernels)",
        1e3 * batch_ms / n as f64
    );
    println!(
        "           one digit: median {:.3} ms, p90 {:.3} ms ({} runs; each uploads the digit, runs {dispatches} kernels in one submit, reads back 10 values)",
        lat[lat.len() / 2],
        lat[lat.len() * 9 / 10],
        lat.len()
    );
    if correct * 100 < n * 90 {
        return Err(wgtf::Error::Other(format!("accuracy {correct}/{n} is far below TensorFlow's {tf_correct}/{n}: the GPU results are wrong")));
    }
    Ok(())
}

fn rel(p: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}
