//! Helpers of the hardening tests (tests/malformed.rs, tests/limits.rs, tests/stress.rs):
//! GraphDefs built in code, and a small deterministic random generator.
#![allow(dead_code)]

use prost::Message;
use wgtf::proto::{attr_value, tensor_shape_proto::Dim, AttrValue, GraphDef, NodeDef, TensorProto, TensorShapeProto};

pub const F32: i32 = 1;
pub const I32: i32 = 3;
pub const I64: i32 = 9;
pub const BOOL: i32 = 10;

pub fn attr(v: attr_value::Value) -> AttrValue {
    AttrValue { value: Some(v) }
}
pub fn ty(t: i32) -> AttrValue {
    attr(attr_value::Value::Type(t))
}
pub fn int(i: i64) -> AttrValue {
    attr(attr_value::Value::I(i))
}
pub fn bool_attr(b: bool) -> AttrValue {
    attr(attr_value::Value::B(b))
}
pub fn ints(v: &[i64]) -> AttrValue {
    attr(attr_value::Value::List(attr_value::ListValue { i: v.to_vec(), ..Default::default() }))
}
pub fn shape(d: &[i64]) -> TensorShapeProto {
    TensorShapeProto { dim: d.iter().map(|&size| Dim { size, name: String::new() }).collect(), unknown_rank: false }
}
pub fn shape_attr(d: &[i64]) -> AttrValue {
    attr(attr_value::Value::Shape(shape(d)))
}
pub fn tensor_attr(t: TensorProto) -> AttrValue {
    attr(attr_value::Value::Tensor(t))
}

pub fn node(name: &str, op: &str, inputs: &[&str], attrs: Vec<(&str, AttrValue)>) -> NodeDef {
    NodeDef {
        name: name.into(),
        op: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        device: String::new(),
        attr: attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    }
}

/// `op(inputs)` with `T = float`.
pub fn op(name: &str, op_name: &str, inputs: &[&str]) -> NodeDef {
    node(name, op_name, inputs, vec![("T", ty(F32))])
}

pub fn placeholder(name: &str, dtype: i32, dims: &[i64]) -> NodeDef {
    node(name, "Placeholder", &[], vec![("dtype", ty(dtype)), ("shape", shape_attr(dims))])
}

pub fn const_tensor(name: &str, t: TensorProto) -> NodeDef {
    let dtype = t.dtype;
    node(name, "Const", &[], vec![("value", tensor_attr(t)), ("dtype", ty(dtype))])
}

pub fn const_f32(name: &str, dims: &[i64], v: &[f32]) -> NodeDef {
    const_tensor(
        name,
        TensorProto {
            dtype: F32,
            tensor_shape: Some(shape(dims)),
            tensor_content: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            ..Default::default()
        },
    )
}

pub fn const_i32(name: &str, dims: &[i64], v: &[i32]) -> NodeDef {
    const_tensor(name, TensorProto { dtype: I32, tensor_shape: Some(shape(dims)), int_val: v.to_vec(), ..Default::default() })
}

pub fn const_i64(name: &str, dims: &[i64], v: &[i64]) -> NodeDef {
    const_tensor(name, TensorProto { dtype: I64, tensor_shape: Some(shape(dims)), int64_val: v.to_vec(), ..Default::default() })
}

pub fn graph(nodes: Vec<NodeDef>) -> GraphDef {
    GraphDef { node: nodes, ..Default::default() }
}

pub fn bytes(nodes: Vec<NodeDef>) -> Vec<u8> {
    graph(nodes).encode_to_vec()
}

/// xorshift64: a tiny deterministic generator (fixed seeds make every failure reproducible).
#[derive(Clone)]
pub struct Rng(pub u64);
impl Rng {
    pub fn u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.u64() % n.max(1) as u64) as usize
    }
    /// Uniform in [-1, 1).
    pub fn f32(&mut self) -> f32 {
        ((self.u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    pub fn vec(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.f32()).collect()
    }
}

/// The masked CRC32C that TensorFlow stores.
pub fn mask_crc(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A checkpoint `.index` table (LevelDB format, no compression, one restart per entry, one data
/// block) of sorted entries.
pub fn write_table(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    fn block(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
        let mut b = Vec::new();
        let mut restarts = Vec::new();
        for (k, v) in entries {
            restarts.push(b.len() as u32);
            put_varint(&mut b, 0);
            put_varint(&mut b, k.len() as u64);
            put_varint(&mut b, v.len() as u64);
            b.extend_from_slice(k);
            b.extend_from_slice(v);
        }
        if restarts.is_empty() {
            restarts.push(0);
        }
        for r in &restarts {
            b.extend_from_slice(&r.to_le_bytes());
        }
        b.extend_from_slice(&(restarts.len() as u32).to_le_bytes());
        b
    }
    fn emit(file: &mut Vec<u8>, contents: &[u8]) -> (u64, u64) {
        let off = file.len();
        file.extend_from_slice(contents);
        file.push(0);
        let crc = mask_crc(crc32c_sw(&file[off..]));
        file.extend_from_slice(&crc.to_le_bytes());
        (off as u64, contents.len() as u64)
    }
    let mut file = Vec::new();
    let data = emit(&mut file, &block(entries));
    let meta = emit(&mut file, &block(&[]));
    let mut h = Vec::new();
    put_varint(&mut h, data.0);
    put_varint(&mut h, data.1);
    let last = entries.last().map(|e| e.0.clone()).unwrap_or_default();
    let index = emit(&mut file, &block(&[(last, h)]));
    let mut footer = Vec::new();
    for (o, s) in [meta, index] {
        put_varint(&mut footer, o);
        put_varint(&mut footer, s);
    }
    footer.resize(40, 0);
    footer.extend_from_slice(&0xdb47_7524_8b80_fb57u64.to_le_bytes());
    file.extend_from_slice(&footer);
    file
}

/// CRC32C (Castagnoli), bit by bit: test data is small.
pub fn crc32c_sw(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0x82f6_3b78 } else { crc >> 1 };
        }
    }
    !crc
}

/// One tensor of a hand-made checkpoint: its key, entry and data bytes.
pub struct CkptTensor {
    pub key: String,
    pub entry: wgtf::proto::BundleEntryProto,
}

/// A float32 tensor entry for `values`, at `offset` of the data shard (returns the bytes to
/// append to it).
pub fn f32_entry(key: &str, dims: &[i64], values: &[f32], offset: usize) -> (CkptTensor, Vec<u8>) {
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let entry = wgtf::proto::BundleEntryProto {
        dtype: F32,
        shape: Some(shape(dims)),
        shard_id: 0,
        offset: offset as i64,
        size: data.len() as i64,
        crc32c: mask_crc(crc32c_sw(&data)),
        slices: vec![],
    };
    (CkptTensor { key: key.into(), entry }, data)
}

/// The `.index` bytes of a one-shard checkpoint holding these tensors.
pub fn checkpoint_index(tensors: &[CkptTensor]) -> Vec<u8> {
    let header = wgtf::proto::BundleHeaderProto { num_shards: 1, endianness: 0, version: None };
    let mut entries = vec![(Vec::new(), header.encode_to_vec())];
    let mut sorted: Vec<&CkptTensor> = tensors.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    entries.extend(sorted.iter().map(|t| (t.key.as_bytes().to_vec(), t.entry.encode_to_vec())));
    write_table(&entries)
}
