//! TF.js weight shards: each group of the manifest is the concatenation of its shard files,
//! holding its weights one after the other in manifest order. Values are little-endian:
//! float32/int32 (4 bytes), bool (1 byte), string (per element a u32 byte length, then the
//! bytes); quantized weights hold uint8 or uint16 codes (`code·scale + min`, rounded for int32
//! weights) or float16 halves.
//!
//! Every size is computed with checked arithmetic and compared with the bytes the shards hold
//! before anything is read, so a manifest that disagrees with its files is an error, never a
//! panic or a read past the end.
use serde::Deserialize;

use crate::tensor::{DType, Data, Tensor};

/// One weight of the manifest.
#[derive(Clone, Debug, Deserialize)]
pub struct WeightSpec {
    pub name: String,
    #[serde(default)]
    pub shape: Vec<i64>,
    pub dtype: String,
    #[serde(default)]
    pub quantization: Option<Quantization>,
}

/// How a weight is quantized.
#[derive(Clone, Debug, Deserialize)]
pub struct Quantization {
    /// `uint8`, `uint16` (affine codes) or `float16`.
    pub dtype: String,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub scale: Option<f64>,
}

/// One group of the manifest: its shard files and the weights they hold.
#[derive(Clone, Debug, Deserialize)]
pub struct WeightGroup {
    pub paths: Vec<String>,
    pub weights: Vec<WeightSpec>,
}

impl WeightSpec {
    /// The dims, checked (no negative dims; the element count fits in memory arithmetic).
    pub fn dims(&self) -> Result<(Vec<usize>, usize), String> {
        let mut n: usize = 1;
        let mut dims = Vec::with_capacity(self.shape.len());
        for &d in &self.shape {
            let d = usize::try_from(d).map_err(|_| format!("weight '{}' has a negative dim in shape {:?}", self.name, self.shape))?;
            n = n.checked_mul(d).ok_or_else(|| format!("weight '{}' of shape {:?} is too large", self.name, self.shape))?;
            dims.push(d);
        }
        Ok((dims, n))
    }

    /// The dtype of the decoded tensor.
    pub fn dtype(&self) -> Result<DType, String> {
        Ok(match self.dtype.as_str() {
            "float32" => DType::F32,
            "int32" => DType::I32,
            "bool" => DType::Bool,
            "string" => DType::String,
            other => return Err(format!("weight '{}' has dtype '{other}' (TF.js weights are float32, int32, bool or string)", self.name)),
        })
    }

    /// Bytes per stored element (strings: `None`, their sizes are in the data).
    fn element_bytes(&self) -> Result<Option<usize>, String> {
        if let Some(q) = &self.quantization {
            return match q.dtype.as_str() {
                "uint8" => Ok(Some(1)),
                "uint16" | "float16" => Ok(Some(2)),
                other => Err(format!("weight '{}' has quantization dtype '{other}' (uint8, uint16 and float16 are defined)", self.name)),
            };
        }
        Ok(match self.dtype()? {
            DType::String => None,
            DType::Bool => Some(1),
            _ => Some(4),
        })
    }
}

/// Decodes the weights of one group from its bytes. Errors name the weight; the caller adds
/// the file.
pub fn decode_group(group: &WeightGroup, bytes: &[u8]) -> Result<Vec<(String, Tensor)>, String> {
    let mut out = Vec::with_capacity(group.weights.len());
    let mut at = 0usize;
    for w in &group.weights {
        let (dims, n) = w.dims()?;
        let rest = &bytes[at..];
        let (t, used) = decode_one(w, dims, n, rest)?;
        at += used;
        out.push((w.name.clone(), t));
    }
    if at != bytes.len() {
        return Err(format!(
            "the manifest's weights take {at} bytes, the shards hold {} ({} bytes {})",
            bytes.len(),
            at.abs_diff(bytes.len()),
            if at < bytes.len() { "left over" } else { "missing" }
        ));
    }
    Ok(out)
}

fn short(w: &WeightSpec, need: usize, have: usize) -> String {
    format!("weight '{}' of shape {:?} needs {need} bytes, the shards hold only {have} more", w.name, w.shape)
}

/// One weight from the start of `b`: the tensor and the bytes it used.
fn decode_one(w: &WeightSpec, dims: Vec<usize>, n: usize, b: &[u8]) -> Result<(Tensor, usize), String> {
    let dtype = w.dtype()?;
    let Some(size) = w.element_bytes()? else {
        // Strings: a u32 length before each.
        let mut at = 0usize;
        let mut v = Vec::with_capacity(n.min(b.len() / 4 + 1));
        for _ in 0..n {
            let len = b.get(at..at + 4).ok_or_else(|| short(w, at + 4, b.len()))?;
            let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
            at += 4;
            let s = b.get(at..at.checked_add(len).ok_or_else(|| short(w, usize::MAX, b.len()))?).ok_or_else(|| short(w, at + len, b.len()))?;
            v.push(s.to_vec());
            at += len;
        }
        return Ok((Tensor::new(DType::String, dims, Data::Str(v)).map_err(|e| e.to_string())?, at));
    };
    let need = n.checked_mul(size).ok_or_else(|| short(w, usize::MAX, b.len()))?;
    let b = b.get(..need).ok_or_else(|| short(w, need, b.len()))?;
    let data = match &w.quantization {
        Some(q) if q.dtype == "float16" => {
            if dtype != DType::F32 {
                return Err(format!("weight '{}' is {} quantized as float16 (only float32 weights can be)", w.name, w.dtype));
            }
            Data::F32(b.chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect())
        }
        Some(q) => {
            let (Some(min), Some(scale)) = (q.min, q.scale) else {
                return Err(format!("weight '{}' is quantized as {} without its min and scale", w.name, q.dtype));
            };
            let codes: Vec<f64> = if size == 1 {
                b.iter().map(|&c| c as f64).collect()
            } else {
                b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]) as f64).collect()
            };
            match dtype {
                // As TF.js: the affine value in double precision, stored as float32…
                DType::F32 => Data::F32(codes.iter().map(|c| (c * scale + min) as f32).collect()),
                // …or rounded half up for int32 weights (JavaScript's Math.round).
                DType::I32 => Data::I32(codes.iter().map(|c| (c * scale + min + 0.5).floor() as i32).collect()),
                _ => return Err(format!("weight '{}' is {} quantized as {} (only float32 and int32 weights can be)", w.name, w.dtype, q.dtype)),
            }
        }
        None => match dtype {
            DType::F32 => Data::F32(b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()),
            DType::I32 => Data::I32(b.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()),
            DType::Bool => Data::Bool(b.iter().map(|&c| c != 0).collect()),
            _ => unreachable!("strings are decoded above"),
        },
    };
    Ok((Tensor::new(dtype, dims, data).map_err(|e| e.to_string())?, need))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, shape: &[i64], dtype: &str, q: Option<(&str, f64, f64)>) -> WeightSpec {
        WeightSpec {
            name: name.into(),
            shape: shape.to_vec(),
            dtype: dtype.into(),
            quantization: q.map(|(d, min, scale)| Quantization { dtype: d.into(), min: Some(min), scale: Some(scale) }),
        }
    }

    #[test]
    fn every_encoding_decodes() {
        let mut b = Vec::new();
        b.extend(1.5f32.to_le_bytes());
        b.extend((-2.0f32).to_le_bytes());
        b.extend(7i32.to_le_bytes());
        b.extend([1u8, 0, 1]);
        b.extend(2u32.to_le_bytes());
        b.extend(b"hi");
        b.extend(0u32.to_le_bytes());
        b.extend([0u8, 255]);
        b.extend(1000u16.to_le_bytes());
        b.extend(half::f16::from_f32(0.25).to_le_bytes());
        b.extend([3u8]);
        let g = WeightGroup {
            paths: vec![],
            weights: vec![
                spec("f", &[2], "float32", None),
                spec("i", &[], "int32", None),
                spec("b", &[3], "bool", None),
                spec("s", &[2], "string", None),
                spec("q8", &[2], "float32", Some(("uint8", -1.0, 0.5))),
                spec("q16", &[1], "float32", Some(("uint16", 0.0, 0.001))),
                spec("h", &[1], "float32", Some(("float16", 0.0, 0.0))),
                spec("qi", &[1], "int32", Some(("uint8", 0.0, 0.5))),
            ],
        };
        let w = decode_group(&g, &b).unwrap();
        assert_eq!(w[0].1.to_f32_vec().unwrap(), [1.5, -2.0]);
        assert_eq!(w[1].1.shape(), &[] as &[usize]);
        assert_eq!(w[1].1.to_i64_vec().unwrap(), [7]);
        assert!(matches!(w[2].1.data(), Data::Bool(v) if v == &[true, false, true]));
        assert!(matches!(w[3].1.data(), Data::Str(v) if v == &[b"hi".to_vec(), vec![]]));
        assert_eq!(w[4].1.to_f32_vec().unwrap(), [-1.0, 126.5]);
        assert!((w[5].1.to_f32_vec().unwrap()[0] - 1.0).abs() < 1e-6);
        assert_eq!(w[6].1.to_f32_vec().unwrap(), [0.25]);
        // 3 · 0.5 = 1.5 rounds half up to 2, as Math.round.
        assert_eq!(w[7].1.to_i64_vec().unwrap(), [2]);
    }

    #[test]
    fn sizes_that_disagree_are_errors() {
        let g = WeightGroup { paths: vec![], weights: vec![spec("w", &[4], "float32", None)] };
        let e = decode_group(&g, &[0u8; 15]).unwrap_err();
        assert!(e.contains("'w'") && e.contains("16 bytes"), "{e}");
        let e = decode_group(&g, &[0u8; 17]).unwrap_err();
        assert!(e.contains("left over"), "{e}");
        let huge = WeightGroup { paths: vec![], weights: vec![spec("w", &[1 << 40, 1 << 40], "float32", None)] };
        assert!(decode_group(&huge, &[0u8; 16]).unwrap_err().contains("too large"));
        let neg = WeightGroup { paths: vec![], weights: vec![spec("w", &[-1], "float32", None)] };
        assert!(decode_group(&neg, &[]).unwrap_err().contains("negative"));
        let s = WeightGroup { paths: vec![], weights: vec![spec("s", &[1], "string", None)] };
        assert!(decode_group(&s, &[9, 0, 0, 0, 1]).is_err());
        let q = WeightGroup { paths: vec![], weights: vec![spec("q", &[1], "float32", Some(("int4", 0.0, 1.0)))] };
        assert!(decode_group(&q, &[0]).unwrap_err().contains("int4"));
    }
}
