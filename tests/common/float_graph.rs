//! Float graphs built in tests (the kernel-choice tests): nodes with `T = float`, placeholders,
//! constants, attribute lists and a fixed sequence of values.
use wgtf::proto::{attr_value::ListValue, attr_value::Value, tensor_shape_proto::Dim, AttrValue, NodeDef, TensorProto, TensorShapeProto};

pub const FLOAT: i32 = wgtf::proto::DataType::DtFloat as i32;

/// A node; ops other than Placeholder and Const get `T = float`.
pub fn node(name: &str, op: &str, inputs: &[&str], attrs: Vec<(&str, Value)>) -> NodeDef {
    let mut attrs = attrs;
    if op != "Placeholder" && op != "Const" {
        attrs.push(("T", Value::Type(FLOAT)));
    }
    NodeDef {
        name: name.into(),
        op: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        attr: attrs.into_iter().map(|(k, v)| (k.to_string(), AttrValue { value: Some(v) })).collect(),
        ..Default::default()
    }
}

pub fn placeholder(name: &str) -> NodeDef {
    node(name, "Placeholder", &[], vec![("dtype", Value::Type(FLOAT))])
}

pub fn constant(name: &str, shape: &[usize], v: &[f32]) -> NodeDef {
    let t = TensorProto {
        dtype: FLOAT,
        tensor_shape: Some(TensorShapeProto { dim: shape.iter().map(|&d| Dim { size: d as i64, ..Default::default() }).collect(), ..Default::default() }),
        float_val: v.to_vec(),
        ..Default::default()
    };
    node(name, "Const", &[], vec![("dtype", Value::Type(FLOAT)), ("value", Value::Tensor(t))])
}

/// A list of ints.
pub fn ints(v: &[i64]) -> Value {
    Value::List(ListValue { i: v.to_vec(), ..Default::default() })
}

/// A list of strings.
pub fn strings(v: &[&str]) -> Value {
    Value::List(ListValue { s: v.iter().map(|s| s.as_bytes().to_vec()).collect(), ..Default::default() })
}

/// Values in [-1, 1) from a fixed sequence.
pub fn values(n: usize, seed: u32) -> Vec<f32> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        })
        .collect()
}
