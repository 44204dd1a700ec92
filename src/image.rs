//! Images as model inputs (PNG, JPEG) and classifier outputs as top-k labels.
//!
//! An image becomes an **NHWC tensor with batch 1**: `[1, H, W, C]`, rows top to bottom, channels
//! in RGB order (C = 1: luminance, C = 4: RGBA). Float inputs get `(pixel * scale - mean[c]) /
//! std[c]`, pixels being 0..255; integer inputs (uint8, int32) get the raw 0..255 values.
//! C, the dtype and the size come from the model's placeholder where it declares them.
use std::path::Path;

use crate::error::{Error, Result};
use crate::runtime::model::{InputInfo, Model};
use crate::tensor::{DType, Data, Tensor};

/// Preprocessing of an image input.
#[derive(Clone, Debug)]
pub struct ImageOptions {
    /// Resize to (width, height) first (bilinear-style filtering).
    pub resize: Option<(u32, u32)>,
    /// Multiplies the 0..255 pixel values (default 1/255: values in 0..1).
    pub scale: f32,
    /// Subtracted after scaling: one value, or one per channel.
    pub mean: Vec<f32>,
    /// Divides after the mean: one value, or one per channel.
    pub std: Vec<f32>,
    /// Channels (1, 3 or 4); `None`: the placeholder's, else 3.
    pub channels: Option<usize>,
}

impl Default for ImageOptions {
    fn default() -> Self {
        ImageOptions { resize: None, scale: 1.0 / 255.0, mean: vec![0.0], std: vec![1.0], channels: None }
    }
}

/// Whether a path names an image file wgtf decodes (by extension: png, jpg, jpeg).
pub fn is_image_path(path: impl AsRef<Path>) -> bool {
    let ext = path.as_ref().extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase());
    matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg"))
}

/// Parses `WxH` (e.g. `224x224`).
pub fn parse_size(s: &str) -> Result<(u32, u32)> {
    let err = || Error::Other(format!("--resize {s}: expected WIDTHxHEIGHT, e.g. 224x224"));
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(err)?;
    let (w, h): (u32, u32) = (w.trim().parse().map_err(|_| err())?, h.trim().parse().map_err(|_| err())?);
    if w == 0 || h == 0 || w > 16384 || h > 16384 {
        return Err(err());
    }
    Ok((w, h))
}

/// Parses a number or a fraction (`0.5`, `1/255`).
pub fn parse_number(s: &str) -> Result<f32> {
    let err = || Error::Other(format!("'{s}': expected a number or a fraction like 1/255"));
    let v = match s.split_once('/') {
        Some((a, b)) => {
            let (a, b): (f32, f32) = (a.trim().parse().map_err(|_| err())?, b.trim().parse().map_err(|_| err())?);
            a / b
        }
        None => s.trim().parse().map_err(|_| err())?,
    };
    if !v.is_finite() {
        return Err(err());
    }
    Ok(v)
}

/// Parses a comma-separated list of numbers (`0.485,0.456,0.406`).
pub fn parse_list(s: &str) -> Result<Vec<f32>> {
    s.split(',').map(parse_number).collect()
}

/// Reads an image into an NHWC tensor `[1, H, W, C]` (see the module docs). `input` is the
/// placeholder it will feed, if known: its channels, dtype and size are then checked and used.
pub fn read_image(path: impl AsRef<Path>, opts: &ImageOptions, input: Option<&InputInfo>) -> Result<Tensor> {
    let path = path.as_ref();
    let img = ::image::ImageReader::open(path)
        .map_err(|e| Error::io(path, e))?
        .with_guessed_format()
        .map_err(|e| Error::io(path, e))?
        .decode()
        .map_err(|e| Error::Other(format!("cannot decode the image {}: {e}", path.display())))?;
    image_to_tensor(img, &path.display().to_string(), opts, input)
}

/// Turns a decoded image into an NHWC tensor `[1, H, W, C]` (see [`read_image`]).
pub fn image_to_tensor(img: ::image::DynamicImage, what: &str, opts: &ImageOptions, input: Option<&InputInfo>) -> Result<Tensor> {
    let name = input.map(|i| i.name.as_str()).unwrap_or("the input");
    let dims = input.and_then(|i| i.shape.clone());
    let dtype = input.and_then(|i| i.dtype).unwrap_or(DType::F32);
    let shape_str = |d: &[Option<usize>]| {
        format!("[{}]", d.iter().map(|x| x.map_or("?".to_string(), |v| v.to_string())).collect::<Vec<_>>().join(", "))
    };
    // What the placeholder wants: [N, H, W, C] (N must allow 1) or [H, W, C].
    let (batch, want_h, want_w, want_c) = match dims.as_deref() {
        None => (true, None, None, None),
        Some([n, h, w, c]) => {
            if n.is_some_and(|n| n != 1) {
                return Err(Error::Feed {
                    name: name.to_string(),
                    msg: format!("the placeholder has shape {}: an image is a batch of one; feed a .npy file for batch {}", shape_str(dims.as_deref().unwrap_or(&[])), n.unwrap_or(0)),
                });
            }
            (true, *h, *w, *c)
        }
        Some([h, w, c]) => (false, *h, *w, *c),
        Some(d) => {
            return Err(Error::Feed {
                name: name.to_string(),
                msg: format!("the placeholder has shape {}, not an image layout; an image becomes [1, H, W, C] (NHWC): feed a .npy file instead", shape_str(d)),
            })
        }
    };
    let channels = match (opts.channels, want_c) {
        (Some(c), Some(w)) if c != w => {
            return Err(Error::Feed { name: name.to_string(), msg: format!("the placeholder has {w} channels, {c} were asked for") })
        }
        (Some(c), _) | (None, Some(c)) => c,
        (None, None) => 3,
    };
    if !matches!(channels, 1 | 3 | 4) {
        return Err(Error::Feed {
            name: name.to_string(),
            msg: format!("the placeholder has {channels} channels; an image gives 1 (gray), 3 (RGB) or 4 (RGBA): feed a .npy file instead"),
        });
    }
    let img = match opts.resize {
        Some((w, h)) if (w, h) != (img.width(), img.height()) => img.resize_exact(w, h, ::image::imageops::FilterType::Triangle),
        _ => img,
    };
    let (w, h) = (img.width() as usize, img.height() as usize);
    if want_h.is_some_and(|x| x != h) || want_w.is_some_and(|x| x != w) {
        let (ww, wh) = (want_w.unwrap_or(w), want_h.unwrap_or(h));
        let how = if opts.resize.is_some() { "change --resize to" } else { "add" };
        return Err(Error::Feed {
            name: name.to_string(),
            msg: format!("the image {what} is {w}x{h} but the placeholder has shape {} (NHWC: {ww}x{wh}, {channels} channels); {how} --resize {ww}x{wh}", shape_str(dims.as_deref().unwrap_or(&[]))),
        });
    }
    let raw: Vec<u8> = match channels {
        1 => img.into_luma8().into_raw(),
        3 => img.into_rgb8().into_raw(),
        _ => img.into_rgba8().into_raw(),
    };
    let per_channel = |v: &[f32], what: &str| -> Result<Vec<f32>> {
        match v.len() {
            1 => Ok(vec![v[0]; channels]),
            n if n == channels => Ok(v.to_vec()),
            n => Err(Error::Other(format!("--{what} has {n} values; give 1 or {channels} (one per channel)"))),
        }
    };
    let shape = if batch { vec![1, h, w, channels] } else { vec![h, w, channels] };
    if dtype.is_float() {
        let mean = per_channel(&opts.mean, "mean")?;
        let std = per_channel(&opts.std, "std")?;
        if std.iter().any(|&s| s == 0.0) {
            return Err(Error::Other("--std must not be 0".into()));
        }
        let v: Vec<f32> = raw.iter().enumerate().map(|(i, &p)| (p as f32 * opts.scale - mean[i % channels]) / std[i % channels]).collect();
        Tensor::new(DType::F32, shape, Data::F32(v))?.cast(dtype)
    } else if dtype.is_int() {
        Tensor::new(DType::I32, shape, Data::I32(raw.iter().map(|&p| p as i32).collect()))?.cast(dtype)
    } else {
        Err(Error::Feed { name: name.to_string(), msg: format!("the placeholder is {dtype}; an image feeds float or integer inputs") })
    }
}

/// Reads a feed for `model`'s tensor `name`: a `.npy` file, or an image (PNG, JPEG) made into
/// the NHWC layout the placeholder declares.
pub fn read_feed(model: &Model, name: &str, path: impl AsRef<Path>, opts: &ImageOptions) -> Result<Tensor> {
    let path = path.as_ref();
    if is_image_path(path) {
        let want = name.strip_suffix(":0").unwrap_or(name);
        let info = model.inputs().into_iter().find(|i| i.name.strip_suffix(":0") == Some(want));
        read_image(path, opts, info.as_ref())
    } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("npy")) {
        Tensor::read_npy(path)
    } else {
        Err(Error::Other(format!("{}: expected a .npy file or an image (.png, .jpg)", path.display())))
    }
}

/// Labels, one per line (blank lines are kept as empty labels; a trailing newline is not one).
pub fn read_labels(path: impl AsRef<Path>) -> Result<Vec<String>> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    Ok(text.lines().map(|l| l.trim().to_string()).collect())
}

/// The `k` largest values, largest first, with their indices (NaNs last).
pub fn top_k(values: &[f32], k: usize) -> Vec<(usize, f32)> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| {
        let (x, y) = (values[a], values[b]);
        y.partial_cmp(&x).unwrap_or_else(|| x.is_nan().cmp(&y.is_nan())).then(a.cmp(&b))
    });
    idx.into_iter().take(k).map(|i| (i, values[i])).collect()
}

/// Lines showing the top `k` classes of each row of a classifier output (`[K]` or `[N, K]`, at
/// most 8 rows), with labels when given and a bar for values in 0..1.
pub fn format_top_k(t: &Tensor, k: usize, labels: Option<&[String]>) -> Result<Vec<String>> {
    let v = t.to_f32_vec()?;
    let classes = *t.shape().last().unwrap_or(&1);
    if classes == 0 || v.is_empty() {
        return Ok(vec![]);
    }
    let mut out = Vec::new();
    if let Some(l) = labels {
        if l.len() != classes {
            out.push(format!("  (the labels file has {} lines for {classes} classes: labels shown by index)", l.len()));
        }
    }
    let labels = labels.filter(|l| l.len() == classes);
    let rows = v.len() / classes;
    for (r, row) in v.chunks(classes).take(8).enumerate() {
        if rows > 1 {
            out.push(format!("  row {r}:"));
        }
        for (rank, (i, x)) in top_k(row, k).into_iter().enumerate() {
            let label = labels.map(|l| l[i].as_str()).unwrap_or("");
            let bar = if (0.0..=1.0).contains(&x) { "█".repeat((x * 30.0).round() as usize) } else { String::new() };
            out.push(format!("  {:>2}. {:<20} {x:>9.4}  (class {i}) {bar}", rank + 1, if label.is_empty() { format!("#{i}") } else { label.to_string() }));
        }
    }
    if rows > 8 {
        out.push(format!("  … {} more rows", rows - 8));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(shape: Vec<Option<usize>>) -> InputInfo {
        InputInfo { name: "x:0".into(), dtype: Some(DType::F32), shape: Some(shape) }
    }

    #[test]
    fn nhwc_scale_mean_std() {
        let img = ::image::DynamicImage::ImageRgb8(::image::RgbImage::from_fn(3, 2, |x, y| ::image::Rgb([x as u8 * 10, y as u8 * 100, 255])));
        let opts = ImageOptions { mean: vec![0.0, 0.5, 1.0], std: vec![1.0, 0.5, 2.0], ..Default::default() };
        let t = image_to_tensor(img, "t", &opts, Some(&info(vec![None, Some(2), Some(3), Some(3)]))).unwrap();
        assert_eq!(t.shape(), &[1, 2, 3, 3]);
        let v = t.as_f32().unwrap();
        // pixel (y=1, x=2): r = 20, g = 100, b = 255
        let p = &v[(3 + 2) * 3..(3 + 2) * 3 + 3];
        assert!((p[0] - 20.0 / 255.0).abs() < 1e-6);
        assert!((p[1] - (100.0 / 255.0 - 0.5) / 0.5).abs() < 1e-6);
        assert!((p[2] - 0.0).abs() < 1e-6);
    }

    #[test]
    fn wrong_size_says_resize() {
        let img = ::image::DynamicImage::ImageLuma8(::image::GrayImage::new(32, 32));
        let e = image_to_tensor(img.clone(), "d.png", &ImageOptions::default(), Some(&info(vec![None, Some(8), Some(8), Some(1)])))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--resize 8x8"), "{e}");
        let opts = ImageOptions { resize: Some((8, 8)), ..Default::default() };
        let t = image_to_tensor(img, "d.png", &opts, Some(&info(vec![None, Some(8), Some(8), Some(1)]))).unwrap();
        assert_eq!(t.shape(), &[1, 8, 8, 1]);
    }

    #[test]
    fn parsing_and_top_k() {
        assert_eq!(parse_size("224x112").unwrap(), (224, 112));
        assert!(parse_size("224").is_err());
        assert!((parse_number("1/255").unwrap() - 1.0 / 255.0).abs() < 1e-9);
        assert_eq!(parse_list("0.5,1").unwrap(), vec![0.5, 1.0]);
        assert_eq!(top_k(&[0.1, 0.7, f32::NAN, 0.2], 3), vec![(1, 0.7), (3, 0.2), (0, 0.1)]);
    }
}
