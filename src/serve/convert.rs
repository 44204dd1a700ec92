//! JSON values → tensors: values converted to the input's dtype with range checks (`NaN` and
//! `Infinity` for floats), `{"b64": "…"}` values as bytes for string inputs and as PNG/JPEG
//! images for image-shaped numeric inputs (decoded and resized as `wgtf run` does), the shape
//! checked against the input's. What does not fit is a [`ServeError`] naming the input.
use super::decode::{JsonTensor, Leaf, Leaves};
use super::error::ServeError;
use crate::image::ImageOptions;
use crate::runtime::model::InputInfo;
use crate::tensor::{DType, Data, HostClass, Tensor};

/// The largest image (either side, pixels) a `b64` value may hold.
const MAX_IMAGE_SIDE: u32 = 16384;
/// The most bytes decoding one image may allocate.
const MAX_IMAGE_ALLOC: u64 = 256 << 20;

fn shape_str(s: &[Option<usize>]) -> String {
    format!("[{}]", s.iter().map(|d| d.map_or("?".to_string(), |v| v.to_string())).collect::<Vec<_>>().join(", "))
}

/// What a JSON value must become: the input's name (for errors), dtype and declared shape.
pub struct Target<'a> {
    pub input: &'a str,
    pub dtype: Option<DType>,
    pub shape: Option<&'a [Option<usize>]>,
}

/// Converts a JSON value into the tensor `t` describes: values converted to its dtype with
/// range checks, `b64` images decoded for numeric inputs, shape checked.
pub fn to_tensor(v: JsonTensor, t: &Target, images: &ImageOptions) -> Result<Tensor, ServeError> {
    let bytes = v.leaves.all_bytes();
    let dtype = t.dtype.unwrap_or_else(|| guess_dtype(&v.leaves));
    let tensor = if bytes && dtype != DType::String {
        decode_images(v, t, dtype, images)?
    } else {
        let data = convert(t.input, v.leaves, dtype)?;
        Tensor::new(dtype, v.shape, data).map_err(|e| ServeError::bad_input(t.input, e.to_string()))?
    };
    check_shape(t, tensor.shape())?;
    Ok(tensor)
}

/// The dtype of values given for an input that declares none.
fn guess_dtype(leaves: &Leaves) -> DType {
    let leaves = match leaves {
        Leaves::Numbers { values, ints } => return if *ints && !values.is_empty() { DType::I32 } else { DType::F32 },
        Leaves::Values(v) => v,
    };
    match leaves.first() {
        Some(Leaf::Bool(_)) => DType::Bool,
        Some(Leaf::Str(_)) if leaves.iter().all(|l| matches!(l, Leaf::Str(s) if non_finite(s).is_none())) => DType::String,
        Some(Leaf::Bytes(_)) => DType::String,
        _ if leaves.iter().all(|l| matches!(l, Leaf::Int(_))) && !leaves.is_empty() => DType::I32,
        _ => DType::F32,
    }
}

fn non_finite(s: &str) -> Option<f64> {
    match s {
        "NaN" | "nan" => Some(f64::NAN),
        "Infinity" | "inf" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

fn show(l: &Leaf) -> String {
    match l {
        Leaf::Int(v) => v.to_string(),
        Leaf::UInt(v) => v.to_string(),
        Leaf::Float(v) => v.to_string(),
        Leaf::Bool(v) => v.to_string(),
        Leaf::Str(s) => format!("\"{}\"", s.chars().take(32).collect::<String>()),
        Leaf::Bytes(b) => format!("a b64 value of {} bytes", b.len()),
    }
}

/// The range of integer dtypes as held on the host.
fn int_range(d: DType) -> (i64, i64) {
    match d {
        DType::I8 => (i8::MIN as i64, i8::MAX as i64),
        DType::I16 => (i16::MIN as i64, i16::MAX as i64),
        DType::I32 => (i32::MIN as i64, i32::MAX as i64),
        DType::U8 => (0, u8::MAX as i64),
        DType::U16 => (0, u16::MAX as i64),
        DType::U32 => (0, u32::MAX as i64),
        DType::U64 => (0, i64::MAX),
        _ => (i64::MIN, i64::MAX),
    }
}

fn convert(input: &str, leaves: Leaves, dtype: DType) -> Result<Data, ServeError> {
    let bad = |i: usize, l: &Leaf, what: &str| ServeError::bad_input(input, format!("the input is {dtype}; value {i} is {}, {what}", show(l)));
    let (lo, hi) = int_range(dtype);
    // Plain numbers (the common case): converted without a value enum.
    let leaves = match leaves {
        Leaves::Numbers { values, .. } => {
            let int = |(i, &v): (usize, &f64)| -> Result<i64, ServeError> {
                if v.fract() != 0.0 {
                    return Err(bad(i, &Leaf::Float(v), "not an integer"));
                }
                if v < lo as f64 || v > hi as f64 {
                    return Err(bad(i, &Leaf::Float(v), &format!("outside the range of {dtype} ({lo}..={hi})")));
                }
                Ok(v as i64)
            };
            return Ok(match dtype.host_class() {
                HostClass::F32 => Data::F32(values.iter().map(|&v| v as f32).collect()),
                HostClass::F64 => Data::F64(values),
                HostClass::I32 => Data::I32(values.iter().enumerate().map(|e| int(e).map(|v| v as i32)).collect::<Result<_, _>>()?),
                HostClass::I64 => Data::I64(values.iter().enumerate().map(int).collect::<Result<_, _>>()?),
                HostClass::Bool | HostClass::Str => match values.first() {
                    Some(&v) => return Err(bad(0, &Leaf::Float(v), if dtype == DType::Bool { "not true or false" } else { "not a string or {\"b64\": …}" })),
                    None => Data::empty(dtype.host_class()),
                },
            });
        }
        Leaves::Values(v) => v,
    };
    let float = |i: usize, l: &Leaf| -> Result<f64, ServeError> {
        match l {
            Leaf::Int(v) => Ok(*v as f64),
            Leaf::UInt(v) => Ok(*v as f64),
            Leaf::Float(v) => Ok(*v),
            Leaf::Str(s) => non_finite(s).ok_or_else(|| bad(i, l, "not a number")),
            _ => Err(bad(i, l, "not a number")),
        }
    };
    let int = |i: usize, l: &Leaf| -> Result<i64, ServeError> {
        let v = match l {
            Leaf::Int(v) => *v as i128,
            Leaf::UInt(v) => *v as i128,
            Leaf::Float(f) if f.fract() == 0.0 && f.abs() < 1e19 => *f as i128,
            Leaf::Float(_) => return Err(bad(i, l, "not an integer")),
            _ => return Err(bad(i, l, "not an integer")),
        };
        if v < lo as i128 || v > hi as i128 {
            return Err(bad(i, l, &format!("outside the range of {dtype} ({lo}..={hi})")));
        }
        Ok(v as i64)
    };
    let it = leaves.iter().enumerate();
    Ok(match dtype.host_class() {
        HostClass::F32 => Data::F32(it.map(|(i, l)| float(i, l).map(|v| v as f32)).collect::<Result<_, _>>()?),
        HostClass::F64 => Data::F64(it.map(|(i, l)| float(i, l)).collect::<Result<_, _>>()?),
        HostClass::I32 => Data::I32(it.map(|(i, l)| int(i, l).map(|v| v as i32)).collect::<Result<_, _>>()?),
        HostClass::I64 => Data::I64(it.map(|(i, l)| int(i, l)).collect::<Result<_, _>>()?),
        HostClass::Bool => Data::Bool(
            it.map(|(i, l)| match l {
                Leaf::Bool(b) => Ok(*b),
                _ => Err(bad(i, l, "not true or false")),
            })
            .collect::<Result<_, _>>()?,
        ),
        HostClass::Str => match dtype {
            DType::String => Data::Str(
                leaves
                    .into_iter()
                    .enumerate()
                    .map(|(i, l)| match l {
                        Leaf::Str(s) => Ok(s.into_bytes()),
                        Leaf::Bytes(b) => Ok(b),
                        l => Err(bad(i, &l, "not a string or {\"b64\": …}")),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(ServeError::bad_input(input, format!("inputs of dtype {dtype} cannot be fed"))),
        },
    })
}

/// The declared shape must match: same rank, same known dims.
fn check_shape(t: &Target, got: &[usize]) -> Result<(), ServeError> {
    let Some(want) = t.shape else { return Ok(()) };
    let ok = want.len() == got.len() && want.iter().zip(got).all(|(w, g)| w.is_none_or(|w| w == *g));
    if ok {
        return Ok(());
    }
    Err(ServeError::bad_input(t.input, format!("the input has shape {}, the request gives {got:?}", shape_str(want))))
}

/// `b64` values of a numeric input: PNG or JPEG images, decoded, resized to the input's height
/// and width where it declares them, and made into `[H, W, C]` values (see `wgtf::image`).
/// The lists around them come first: `[N]` images give `[N, H, W, C]`; one image for a
/// `[N, H, W, C]` input gives `[1, H, W, C]`.
fn decode_images(v: JsonTensor, t: &Target, dtype: DType, opts: &ImageOptions) -> Result<Tensor, ServeError> {
    let (h, w, c) = match t.shape {
        Some(s) if s.len() >= 3 => (s[s.len() - 3], s[s.len() - 2], s[s.len() - 1]),
        Some(s) => {
            return Err(ServeError::bad_input(
                t.input,
                format!("the input is {dtype} {}; a {{\"b64\": …}} value feeds an image (PNG or JPEG) to an input of shape [N, H, W, C] or [H, W, C], or bytes to a string input", shape_str(s)),
            ))
        }
        None => (None, None, None),
    };
    let mut opts = opts.clone();
    if let (Some(h), Some(w)) = (h, w) {
        opts.resize = Some((w.min(MAX_IMAGE_SIDE as usize) as u32, h.min(MAX_IMAGE_SIDE as usize) as u32));
    }
    let info = InputInfo { name: t.input.to_string(), dtype: Some(dtype), shape: Some(vec![None, h, w, c]) };
    let mut data: Option<Data> = None;
    let mut dims: Option<Vec<usize>> = None;
    let mut leaves = v.leaves;
    let n = leaves.len();
    for (i, leaf) in std::mem::take(leaves.values()).into_iter().enumerate() {
        let Leaf::Bytes(bytes) = leaf else { return Err(ServeError::bad_input(t.input, "b64 values mixed with other values")) };
        let what = if n > 1 { format!("b64 value {i}") } else { "b64 value".to_string() };
        let img = decode_image(&bytes).map_err(|e| ServeError::bad_input(t.input, format!("{what}: {e}")))?;
        let one = crate::image::image_to_tensor(img, &what, &opts, Some(&info)).map_err(|e| match e {
            crate::Error::Feed { msg, .. } => ServeError::bad_input(t.input, format!("{what}: {msg}")),
            e => ServeError::bad_input(t.input, format!("{what}: {e}")),
        })?;
        let d = one.shape()[1..].to_vec();
        if dims.as_ref().is_some_and(|p| *p != d) {
            return Err(ServeError::bad_input(t.input, format!("{what} is an image of {d:?} (H, W, C), the ones before it {:?}: give images of one size, or an input with a fixed size resizes them", dims.unwrap_or_default())));
        }
        dims = Some(d);
        match (&mut data, one.into_data()) {
            (None, d) => data = Some(d),
            (Some(Data::F32(a)), Data::F32(b)) => a.extend(b),
            (Some(Data::F64(a)), Data::F64(b)) => a.extend(b),
            (Some(Data::I32(a)), Data::I32(b)) => a.extend(b),
            (Some(Data::I64(a)), Data::I64(b)) => a.extend(b),
            _ => return Err(ServeError::Internal("images decoded to different value types".into())),
        }
    }
    let mut shape = v.shape;
    shape.extend(dims.unwrap_or_default());
    if t.shape.is_some_and(|s| s.len() == shape.len() + 1) {
        shape.insert(0, 1);
    }
    let data = data.unwrap_or_else(|| Data::empty(dtype.host_class()));
    Tensor::new(dtype, shape, data).map_err(|e| ServeError::bad_input(t.input, e.to_string()))
}

/// Decodes a PNG or JPEG held in memory, within limits on its size and on what decoding
/// allocates (a small file may declare a huge image).
pub fn decode_image(bytes: &[u8]) -> Result<::image::DynamicImage, String> {
    let mut r = ::image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().map_err(|e| format!("cannot read the image: {e}"))?;
    if r.format().is_none() {
        return Err("not a PNG or JPEG image".into());
    }
    let mut limits = ::image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_ALLOC);
    r.limits(limits);
    r.decode().map_err(|e| format!("cannot decode the image: {e}"))
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::serve::decode::{parse_tensor, quote_non_finite};

    #[test]
    fn non_finite_literals_outside_strings_only() {
        let q = quote_non_finite(br#"{"a": [NaN, -Infinity, Infinity], "s": "NaN \" Infinity"}"#);
        assert_eq!(std::str::from_utf8(&q).unwrap(), r#"{"a": ["NaN", "-Infinity", "Infinity"], "s": "NaN \" Infinity"}"#);
        assert!(matches!(quote_non_finite(b"[1, 2]"), Cow::Borrowed(_)));
        let t = parse_tensor(std::str::from_utf8(&q).unwrap().strip_prefix("{\"a\": ").unwrap().split_once(", \"s\"").unwrap().0).unwrap();
        let x = to_tensor(t, &Target { input: "a", dtype: Some(DType::F32), shape: None }, &ImageOptions::default()).unwrap();
        let v = x.as_f32().unwrap();
        assert!(v[0].is_nan() && v[1] == f32::NEG_INFINITY && v[2] == f32::INFINITY);
        let q = quote_non_finite(br#"["a\\", NaN, "b\"NaN", +Infinity, Nope]"#);
        assert_eq!(std::str::from_utf8(&q).unwrap(), r#"["a\\", "NaN", "b\"NaN", "Infinity", Nope]"#);
    }

    #[test]
    fn values_are_checked_against_the_dtype() {
        let t = |s: &str, d: DType| to_tensor(parse_tensor(s).unwrap(), &Target { input: "x", dtype: Some(d), shape: None }, &ImageOptions::default());
        assert_eq!(t("[1, 2.0]", DType::I32).unwrap().to_i64_vec().unwrap(), vec![1, 2]);
        assert!(t("[1.5]", DType::I32).unwrap_err().to_string().contains("not an integer"));
        assert!(t("[256]", DType::U8).unwrap_err().to_string().contains("outside the range of uint8"));
        assert!(t("[3000000000]", DType::I32).is_err());
        assert_eq!(t("[3000000000]", DType::I64).unwrap().to_i64_vec().unwrap(), vec![3_000_000_000]);
        assert!(t("[\"a\"]", DType::F32).unwrap_err().to_string().contains("not a number"));
        assert!(t("[1]", DType::Bool).is_err());
        assert_eq!(t("[\"a\", {\"b64\": \"AAE=\"}]", DType::String).unwrap().data(), &Data::Str(vec![b"a".to_vec(), vec![0, 1]]));
        let shape = [None, Some(3)];
        let e = to_tensor(parse_tensor("[[1, 2]]").unwrap(), &Target { input: "x", dtype: Some(DType::F32), shape: Some(&shape) }, &ImageOptions::default()).unwrap_err();
        assert_eq!(e.to_string(), "input 'x': the input has shape [?, 3], the request gives [1, 2]");
    }
}
