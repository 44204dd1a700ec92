//! Tensors → JSON text, written directly (no JSON tree for large outputs). Floats are written in
//! their shortest form that reads back to the same value (f32 outputs round-trip bit for bit);
//! non-finite values as TensorFlow Serving writes them: `NaN`, `Infinity`, `-Infinity`. Strings
//! are JSON strings when they are UTF-8, else `{"b64": "…"}`.
use std::fmt::Write;

use base64::Engine;

use crate::tensor::{Data, Tensor};

fn float(out: &mut String, v: f64, debug: impl FnOnce(&mut String)) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        debug(out);
    }
}

/// Writes element `i` of `d`.
fn element(out: &mut String, d: &Data, i: usize) {
    match d {
        Data::F32(v) => float(out, v[i] as f64, |o| {
            let _ = write!(o, "{:?}", v[i]);
        }),
        Data::F64(v) => float(out, v[i], |o| {
            let _ = write!(o, "{:?}", v[i]);
        }),
        Data::I32(v) => {
            let _ = write!(out, "{}", v[i]);
        }
        Data::I64(v) => {
            let _ = write!(out, "{}", v[i]);
        }
        Data::Bool(v) => out.push_str(if v[i] { "true" } else { "false" }),
        Data::Str(v) => string(out, &v[i]),
    }
}

/// A string value: a JSON string, or `{"b64": "…"}` for bytes that are not UTF-8.
pub fn string(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(s) => out.push_str(&serde_json::Value::from(s).to_string()),
        Err(_) => {
            out.push_str("{\"b64\": \"");
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(bytes));
            out.push_str("\"}");
        }
    }
}

/// Writes a JSON string (a key).
pub fn key(out: &mut String, k: &str) {
    out.push_str(&serde_json::Value::from(k).to_string());
}

/// Elements `start..` of `d` as nested lists of `shape`.
fn nested_at(out: &mut String, d: &Data, start: usize, shape: &[usize]) {
    match shape.split_first() {
        None => element(out, d, start),
        Some((&n, rest)) => {
            let stride: usize = rest.iter().product();
            out.push('[');
            for j in 0..n {
                if j > 0 {
                    out.push(',');
                }
                nested_at(out, d, start + j * stride, rest);
            }
            out.push(']');
        }
    }
}

/// The whole tensor as nested lists (a scalar as a value).
pub fn nested(out: &mut String, t: &Tensor) {
    nested_at(out, t.data(), 0, t.shape());
}

/// Row `r` (along the first dim) as nested lists.
pub fn row(out: &mut String, t: &Tensor, r: usize) {
    let rest = &t.shape()[1..];
    nested_at(out, t.data(), r * rest.iter().product::<usize>(), rest);
}

/// All elements in row-major order, as one flat list (KServe's `data`).
pub fn flat(out: &mut String, t: &Tensor) {
    out.push('[');
    for i in 0..t.len() {
        if i > 0 {
            out.push(',');
        }
        element(out, t.data(), i);
    }
    out.push(']');
}

/// Dims as a JSON list (`-1` for unknown ones).
pub fn dims(out: &mut String, shape: &[Option<usize>]) {
    out.push('[');
    for (i, d) in shape.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = match d {
            Some(d) => write!(out, "{d}"),
            None => write!(out, "-1"),
        };
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_rows_flat_and_special_values() {
        let t = Tensor::from_f32(vec![2, 2], vec![1.0, f32::NAN, f32::NEG_INFINITY, 1e-7]).unwrap();
        let mut s = String::new();
        nested(&mut s, &t);
        assert_eq!(s, "[[1.0,NaN],[-Infinity,1e-7]]");
        s.clear();
        row(&mut s, &t, 1);
        assert_eq!(s, "[-Infinity,1e-7]");
        s.clear();
        flat(&mut s, &t);
        assert_eq!(s, "[1.0,NaN,-Infinity,1e-7]");
        s.clear();
        let st = Tensor::new(crate::DType::String, vec![2], Data::Str(vec![b"a\"b".to_vec(), vec![0xff]])).unwrap();
        nested(&mut s, &st);
        assert_eq!(s, "[\"a\\\"b\",{\"b64\": \"/w==\"}]");
        s.clear();
        nested(&mut s, &Tensor::scalar_f32(0.1));
        assert_eq!(s.parse::<f32>().unwrap(), 0.1f32);
    }
}
