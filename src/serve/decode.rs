//! JSON tensor values: nested lists of numbers, booleans, strings and `{"b64": "…"}` values, and
//! the literals `NaN`, `Infinity` and `-Infinity` that TensorFlow Serving accepts, read into a
//! shape and a flat list of values ([`JsonTensor`]); [`super::convert`] makes tensors of them.
//!
//! Lists are read straight into one flat vector of leaves (serde's `DeserializeSeed`), numbers
//! into a vector of `f64` while every value is one: no JSON tree is built for a large tensor.
use std::borrow::Cow;
use std::fmt;

use base64::Engine;
use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::error::ServeError;

/// The most nested list levels of a value.
const MAX_RANK: usize = 32;

/// One value of a JSON tensor.
#[derive(Clone, Debug, PartialEq)]
pub enum Leaf {
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
    Str(String),
    /// A `{"b64": "…"}` value, decoded.
    Bytes(Vec<u8>),
}

/// The largest integer an `f64` holds exactly.
const EXACT: u64 = 1 << 53;

/// The values of a JSON tensor, row-major: plain numbers (integers within ±2^53) while they
/// all are, else every kind of value.
#[derive(Clone, Debug, PartialEq)]
pub enum Leaves {
    /// Numbers; `ints`: all of them were written as integers.
    Numbers { values: Vec<f64>, ints: bool },
    Values(Vec<Leaf>),
}

impl Default for Leaves {
    fn default() -> Self {
        Leaves::Numbers { values: Vec::new(), ints: true }
    }
}

impl Leaves {
    pub fn len(&self) -> usize {
        match self {
            Leaves::Numbers { values, .. } => values.len(),
            Leaves::Values(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn push(&mut self, l: Leaf) {
        if let Leaves::Numbers { values, ints } = self {
            let n = match l {
                Leaf::Int(i) if i.unsigned_abs() <= EXACT => Some((i as f64, true)),
                Leaf::UInt(u) if u <= EXACT => Some((u as f64, true)),
                Leaf::Float(f) => Some((f, false)),
                _ => None,
            };
            if let Some((v, int)) = n {
                values.push(v);
                *ints &= int;
                return;
            }
        }
        self.values().push(l);
    }

    /// Every value as a [`Leaf`] (numbers become values from here on).
    pub fn values(&mut self) -> &mut Vec<Leaf> {
        if let Leaves::Numbers { values, ints } = self {
            let v = values.iter().map(|&x| if *ints { Leaf::Int(x as i64) } else { Leaf::Float(x) }).collect();
            *self = Leaves::Values(v);
        }
        match self {
            Leaves::Values(v) => v,
            Leaves::Numbers { .. } => unreachable!("converted above"),
        }
    }

    fn append(&mut self, other: Leaves) {
        match (&mut *self, other) {
            (Leaves::Numbers { values, ints }, Leaves::Numbers { values: o, ints: oi }) => {
                values.extend(o);
                *ints &= oi;
            }
            (_, mut o) => {
                let o = std::mem::take(o.values());
                self.values().extend(o);
            }
        }
    }

    /// Whether every value is a `{"b64": …}` value (and there is one).
    pub fn all_bytes(&self) -> bool {
        matches!(self, Leaves::Values(v) if !v.is_empty() && v.iter().all(|l| matches!(l, Leaf::Bytes(_))))
    }
}

/// A JSON tensor: the shape of its nested lists and its values in row-major order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JsonTensor {
    pub shape: Vec<usize>,
    pub leaves: Leaves,
}

impl JsonTensor {
    /// Stacks values of equal shape along a new first dimension (TensorFlow Serving's rows).
    pub fn stack(input: &str, rows: Vec<JsonTensor>) -> Result<JsonTensor, ServeError> {
        let n = rows.len();
        let mut it = rows.into_iter();
        let Some(first) = it.next() else { return Ok(JsonTensor { shape: vec![0], leaves: Leaves::default() }) };
        let mut out = JsonTensor { shape: std::iter::once(n).chain(first.shape.iter().copied()).collect(), leaves: first.leaves };
        for (i, r) in it.enumerate() {
            if r.shape[..] != out.shape[1..] {
                return Err(ServeError::bad_input(input, format!("instance {} has shape {:?}, instance 0 has {:?}: every instance must have the same shape", i + 1, r.shape, &out.shape[1..])));
            }
            out.leaves.append(r.leaves);
        }
        Ok(out)
    }
}

/// Accumulates the leaves and checks that every list at one depth has the same length and
/// every leaf the same depth (a rectangular tensor).
struct Builder {
    dims: Vec<Option<usize>>,
    leaf_depth: Option<usize>,
    leaves: Leaves,
}

impl Builder {
    fn leaf(&mut self, depth: usize, l: Leaf) -> Result<(), String> {
        if depth < self.dims.len() || self.leaf_depth.is_some_and(|d| d != depth) {
            return Err("ragged list: values at different depths (a tensor's lists must be rectangular)".into());
        }
        self.leaf_depth = Some(depth);
        self.leaves.push(l);
        Ok(())
    }

    fn list(&mut self, depth: usize, n: usize) -> Result<(), String> {
        if self.leaf_depth.is_some_and(|d| depth >= d) {
            return Err("ragged list: values at different depths (a tensor's lists must be rectangular)".into());
        }
        if self.dims.len() <= depth {
            self.dims.resize(depth + 1, None);
        }
        match self.dims[depth] {
            Some(m) if m != n => Err(format!("ragged list: lists of {m} and {n} values at depth {depth} (a tensor's lists must be rectangular)")),
            _ => {
                self.dims[depth] = Some(n);
                Ok(())
            }
        }
    }
}

struct Seed<'b> {
    b: &'b mut Builder,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number, a boolean, a string, {\"b64\": \"…\"} or a list of them")
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<(), E> {
        self.b.leaf(self.depth, Leaf::Bool(v)).map_err(E::custom)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<(), E> {
        self.b.leaf(self.depth, Leaf::Int(v)).map_err(E::custom)
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        let l = i64::try_from(v).map(Leaf::Int).unwrap_or(Leaf::UInt(v));
        self.b.leaf(self.depth, l).map_err(E::custom)
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        self.b.leaf(self.depth, Leaf::Float(v)).map_err(E::custom)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.b.leaf(self.depth, Leaf::Str(v.to_string())).map_err(E::custom)
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<(), E> {
        self.b.leaf(self.depth, Leaf::Str(v)).map_err(E::custom)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Err(E::custom("null is not a tensor value"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.depth >= MAX_RANK {
            return Err(A::Error::custom(format!("lists nested more than {MAX_RANK} deep")));
        }
        let mut n = 0;
        while seq.next_element_seed(Seed { b: &mut *self.b, depth: self.depth + 1 })?.is_some() {
            n += 1;
        }
        self.b.list(self.depth, n).map_err(A::Error::custom)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let not_b64 = || A::Error::custom("an object in a tensor value must be {\"b64\": \"…\"} (base64 bytes)");
        match map.next_key::<Cow<'de, str>>()? {
            Some(k) if k == "b64" => {}
            _ => return Err(not_b64()),
        }
        let text: Cow<'de, str> = map.next_value()?;
        if map.next_key::<IgnoredAny>()?.is_some() {
            return Err(not_b64());
        }
        let bytes = base64_decode(&text).map_err(A::Error::custom)?;
        self.b.leaf(self.depth, Leaf::Bytes(bytes)).map_err(A::Error::custom)
    }
}

/// Standard or URL-safe base64, padded or not.
pub fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let t = text.trim();
    STANDARD
        .decode(t)
        .or_else(|_| STANDARD_NO_PAD.decode(t))
        .or_else(|_| URL_SAFE.decode(t))
        .or_else(|_| URL_SAFE_NO_PAD.decode(t))
        .map_err(|e| format!("invalid base64: {e}"))
}

/// Parses one JSON tensor value (text of a `RawValue`).
pub fn parse_tensor(json: &str) -> Result<JsonTensor, String> {
    let mut b = Builder { dims: Vec::new(), leaf_depth: None, leaves: Leaves::default() };
    let mut de = serde_json::Deserializer::from_str(json);
    Seed { b: &mut b, depth: 0 }.deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    let depth = b.leaf_depth.unwrap_or(b.dims.len());
    let shape = b.dims[..depth.min(b.dims.len())].iter().map(|d| d.unwrap_or(0)).collect();
    Ok(JsonTensor { shape, leaves: b.leaves })
}

/// TensorFlow Serving writes and reads `NaN`, `Infinity` and `-Infinity` as bare literals,
/// which JSON lacks: outside strings they become the strings `"NaN"`, `"Infinity"`,
/// `"-Infinity"`, which float inputs accept. The body is borrowed when it has none.
pub fn quote_non_finite(body: &[u8]) -> Cow<'_, [u8]> {
    if !body.iter().any(|&b| b == b'N' || b == b'I') {
        return Cow::Borrowed(body);
    }
    let mut out: Option<Vec<u8>> = None;
    let (mut i, mut start) = (0, 0);
    while i < body.len() {
        match body[i] {
            // A string: to its closing quote, past escaped characters.
            b'"' => {
                i += 1;
                while i < body.len() {
                    match body[i..].iter().position(|&b| b == b'"' || b == b'\\') {
                        Some(k) if body[i + k] == b'\\' => i += k + 2,
                        Some(k) => {
                            i += k + 1;
                            break;
                        }
                        None => i = body.len(),
                    }
                }
            }
            b'N' | b'I' | b'-' | b'+' => {
                let word = [&b"NaN"[..], b"Infinity", b"-Infinity", b"+Infinity"]
                    .into_iter()
                    .find(|w| body[i..].starts_with(w) && !body.get(i + w.len()).is_some_and(|n| n.is_ascii_alphanumeric()));
                match word {
                    Some(w) => {
                        let o = out.get_or_insert_with(|| Vec::with_capacity(body.len() + 16));
                        o.extend_from_slice(&body[start..i]);
                        o.push(b'"');
                        o.extend_from_slice(w.strip_prefix(b"+").unwrap_or(w));
                        o.push(b'"');
                        i += w.len();
                        start = i;
                    }
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    match out {
        None => Cow::Borrowed(body),
        Some(mut o) => {
            o.extend_from_slice(&body[start..]);
            Cow::Owned(o)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_lists_and_ragged_ones() {
        let t = parse_tensor("[[1, 2.5], [3, -4]]").unwrap();
        assert_eq!(t.shape, vec![2, 2]);
        assert_eq!(t.leaves, Leaves::Numbers { values: vec![1.0, 2.5, 3.0, -4.0], ints: false });
        assert_eq!(parse_tensor("7").unwrap().shape, Vec::<usize>::new());
        assert_eq!(parse_tensor("[[], []]").unwrap().shape, vec![2, 0]);
        for bad in ["[[1], [2, 3]]", "[1, [2]]", "[[1], 2]", "[[], [[]]]", "[1, null]", "{\"a\": 1}", "[1] x"] {
            assert!(parse_tensor(bad).is_err(), "{bad}");
        }
        let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
        assert!(parse_tensor(&deep).is_err());
        let b = parse_tensor("[{\"b64\": \"aGk=\"}]").unwrap();
        assert_eq!(b.leaves, Leaves::Values(vec![Leaf::Bytes(b"hi".to_vec())]));
        let mut m = parse_tensor("[1, 9007199254740993, true]").unwrap().leaves;
        assert_eq!(m.values(), &vec![Leaf::Int(1), Leaf::Int(9007199254740993), Leaf::Bool(true)]);
    }
}
