//! What the models see: an animated procedural pattern, the bundled held-out digits (animated:
//! one morphs into the next), or image files. Each gives an HWC float image in 0..1.
use std::path::PathBuf;

/// An input source of one model.
pub enum Source {
    /// Moving shapes over a colour wave (any size and channel count).
    Pattern,
    /// The bundled held-out digits (`[N, 8, 8, 1]` ink in 0..1): one morphs into the next.
    Digits { x: Vec<f32>, labels: Vec<i64> },
    /// An image file, decoded once, resized to the model's input.
    Image { path: PathBuf, pixels: Vec<f32> },
}

impl Source {
    pub fn name(&self, sample: usize) -> String {
        match self {
            Source::Pattern => "animated pattern".to_string(),
            Source::Digits { labels, .. } => {
                let n = labels.len().max(1);
                format!("held-out digit #{} (a {})", sample % n, labels.get(sample % n).copied().unwrap_or(-1))
            }
            Source::Image { path, .. } => path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
        }
    }

    /// The input at time `t` (seconds) for an `h` x `w` x `c` model input, values in 0..1.
    /// `sample` picks the digit; digits advance by themselves when `animate`.
    pub fn render(&self, h: usize, w: usize, c: usize, t: f32, sample: usize, animate: bool) -> Vec<f32> {
        match self {
            Source::Pattern => pattern(h, w, c, t),
            Source::Digits { x, labels } => {
                let n = labels.len().max(1);
                // 1.5 s on a digit, then 0.5 s morphing into the next.
                let (i, mix) = if animate {
                    let period = 2.0;
                    let k = (t / period).floor();
                    let f = t / period - k;
                    ((sample + k as usize) % n, ((f - 0.75) / 0.25).clamp(0.0, 1.0))
                } else {
                    (sample % n, 0.0)
                };
                let j = (i + 1) % n;
                let a = &x[i * 64..i * 64 + 64];
                let b = &x[j * 64..j * 64 + 64];
                let d: Vec<f32> = a.iter().zip(b).map(|(a, b)| a + (b - a) * mix).collect();
                resample_gray(&d, 8, 8, h, w, c)
            }
            Source::Image { pixels, .. } => pixels.clone(),
        }
    }

    /// The digit shown at time `t` (for the caption), if this is the digit source.
    pub fn current(&self, t: f32, sample: usize, animate: bool) -> usize {
        match self {
            Source::Digits { labels, .. } if animate => (sample + (t / 2.0).floor() as usize) % labels.len().max(1),
            _ => sample,
        }
    }
}

/// An 8x8 gray digit onto any input (nearest), gray replicated over the channels.
fn resample_gray(d: &[f32], dh: usize, dw: usize, h: usize, w: usize, c: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(h * w * c);
    for y in 0..h {
        for x in 0..w {
            let v = d[(y * dh / h.max(1)).min(dh - 1) * dw + (x * dw / w.max(1)).min(dw - 1)];
            out.extend(std::iter::repeat_n(v, c));
        }
    }
    out
}

/// Moving discs and a rotating checkerboard over a slow colour wave: sharp edges and smooth
/// gradients, so image models have something to do. Deterministic in `t`.
pub fn pattern(h: usize, w: usize, c: usize, t: f32) -> Vec<f32> {
    let mut out = Vec::with_capacity(h * w * c);
    let (fw, fh) = (w.max(1) as f32, h.max(1) as f32);
    let (sa, ca) = (0.35 * t).sin_cos();
    let discs: [(f32, f32, f32, [f32; 3]); 3] = [
        (0.5 + 0.3 * (0.9 * t).cos(), 0.5 + 0.3 * (1.3 * t).sin(), 0.16, [1.0, 0.85, 0.2]),
        (0.5 + 0.32 * (0.7 * t + 2.0).cos(), 0.5 + 0.25 * (0.5 * t + 1.0).sin(), 0.12, [0.2, 0.8, 1.0]),
        (0.5 + 0.2 * (1.1 * t + 4.0).sin(), 0.5 + 0.3 * (0.8 * t + 3.0).cos(), 0.09, [1.0, 0.3, 0.5]),
    ];
    for y in 0..h {
        for x in 0..w {
            let (u, v) = ((x as f32 + 0.5) / fw, (y as f32 + 0.5) / fh);
            let wave = 0.5 + 0.5 * (6.0 * u + 2.0 * t).sin() * (5.0 * v - 1.3 * t).cos();
            let mut rgb = [0.15 + 0.35 * wave, 0.1 + 0.25 * (1.0 - wave), 0.35 + 0.3 * v];
            // A rotating checkerboard in the lower-left quarter.
            let (px, py) = (u - 0.3, v - 0.72);
            if px.abs() < 0.22 && py.abs() < 0.22 {
                let (rx, ry) = (px * ca - py * sa, px * sa + py * ca);
                let k = ((rx * 14.0).floor() + (ry * 14.0).floor()) as i32;
                let g = if k.rem_euclid(2) == 0 { 0.92 } else { 0.08 };
                rgb = [g, g, g];
            }
            for (cx, cy, r, col) in discs {
                let d = ((u - cx).powi(2) + (v - cy).powi(2)).sqrt();
                if d < r {
                    let shade = 1.0 - 0.45 * d / r;
                    rgb = [col[0] * shade, col[1] * shade, col[2] * shade];
                }
            }
            match c {
                1 => out.push(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]),
                _ => {
                    for k in 0..c {
                        out.push(if k < 3 { rgb[k] } else { 1.0 });
                    }
                }
            }
        }
    }
    out
}
