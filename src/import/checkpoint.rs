//! TensorFlow checkpoints in the tensor bundle V2 format: `PREFIX.index` (a table of
//! `BundleEntryProto`s keyed by tensor name, the `BundleHeaderProto` under the empty key) and the
//! shards `PREFIX.data-NNNNN-of-NNNNN` holding the little-endian tensor bytes. The `checkpoint`
//! text file of a directory names its latest prefix.
//!
//! Every tensor read is checked against its entry: the bytes must lie inside the shard file
//! (read with one bounded allocation), their CRC32C must match, and their size must match the
//! dtype and shape. Errors name the file.
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use prost::Message;

use super::table::{read_table, unmask_crc, varint};
use crate::error::{Error, Result};
use crate::graph::decode_shape;
use crate::proto::{self, BundleEntryProto, BundleHeaderProto, TensorProto};
use crate::tensor::{num_elements, DType, Tensor};

/// The bundle format version this reader implements (TensorFlow's `kTensorBundleVersion`).
const BUNDLE_VERSION: i32 = 1;

/// One tensor as stored: TensorFlow dtype, shape, and either the packed little-endian bytes or
/// the strings of a string tensor.
#[derive(Clone, Debug)]
pub struct StoredTensor {
    pub dtype: DType,
    pub shape: Vec<usize>,
    pub data: StoredData,
}

#[derive(Clone, Debug)]
pub enum StoredData {
    Bytes(Vec<u8>),
    Strings(Vec<Vec<u8>>),
}

impl StoredTensor {
    /// As a TensorProto (the value of a Const node): the bytes go to `tensor_content` unchanged,
    /// so every dtype keeps its exact encoding.
    pub fn to_proto(&self) -> TensorProto {
        let mut t = TensorProto { dtype: self.dtype.to_tf(), tensor_shape: Some(shape_proto(&self.shape)), ..Default::default() };
        match &self.data {
            StoredData::Bytes(b) => t.tensor_content = b.clone(),
            StoredData::Strings(s) => t.string_val = s.clone(),
        }
        t
    }

    /// As a host tensor.
    pub fn to_tensor(&self) -> Result<Tensor> {
        crate::graph::decode_tensor(&self.to_proto())
    }
}

/// A fully known shape as a TensorShapeProto.
pub(crate) fn shape_proto(dims: &[usize]) -> proto::TensorShapeProto {
    proto::TensorShapeProto {
        dim: dims.iter().map(|&d| proto::tensor_shape_proto::Dim { size: d as i64, name: String::new() }).collect(),
        unknown_rank: false,
    }
}

/// An open checkpoint: its entries, read from the index at open; tensor bytes are read on demand.
#[derive(Debug)]
pub struct Checkpoint {
    prefix: PathBuf,
    num_shards: i32,
    entries: BTreeMap<String, BundleEntryProto>,
}

/// A checkpoint error naming a file.
fn cerr(path: &Path, msg: impl Into<String>) -> Error {
    Error::Checkpoint { path: path.to_path_buf(), msg: msg.into() }
}

/// `prefix` + `suffix` as a path (`model.ckpt` + `.index`).
fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// The index file of a checkpoint prefix.
pub fn index_path(prefix: &Path) -> PathBuf {
    with_suffix(prefix, ".index")
}

/// The meta graph file of a checkpoint prefix (written by `tf.compat.v1.train.Saver`).
pub fn meta_path(prefix: &Path) -> PathBuf {
    with_suffix(prefix, ".meta")
}

/// The data file of shard `shard` of `num_shards`.
pub fn data_path(prefix: &Path, shard: i32, num_shards: i32) -> PathBuf {
    with_suffix(prefix, &format!(".data-{shard:05}-of-{num_shards:05}"))
}

/// Whether `prefix` names a checkpoint (its `.index` file exists).
pub fn is_prefix(prefix: &Path) -> bool {
    index_path(prefix).is_file()
}

/// The latest checkpoint prefix of a directory, from its `checkpoint` file
/// (`model_checkpoint_path: "..."`, relative to the directory unless absolute).
pub fn latest_checkpoint(dir: &Path) -> Result<PathBuf> {
    let state = dir.join("checkpoint");
    let text = std::fs::read_to_string(&state).map_err(|e| Error::io(&state, e))?;
    let value = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("model_checkpoint_path:"))
        .ok_or_else(|| cerr(&state, "no model_checkpoint_path line"))?;
    let name = unquote(value.trim()).ok_or_else(|| cerr(&state, format!("malformed model_checkpoint_path {value}")))?;
    let p = PathBuf::from(&name);
    let prefix = if p.is_absolute() { p } else { dir.join(p) };
    if !is_prefix(&prefix) {
        // Checkpoints moved with their directory keep an absolute path that no longer exists.
        let local = prefix.file_name().map(|f| dir.join(f));
        if let Some(local) = local.filter(|l| is_prefix(l)) {
            return Ok(local);
        }
        return Err(cerr(&state, format!("names checkpoint {}, which has no .index file", prefix.display())));
    }
    Ok(prefix)
}

/// A text-format string literal: `"..."` with C escapes.
fn unquote(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = Vec::new();
    let mut it = inner.bytes();
    while let Some(b) = it.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match it.next()? {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            d @ b'0'..=b'7' => {
                let mut v = u32::from(d - b'0');
                for _ in 0..2 {
                    let rest = it.clone().next();
                    match rest {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            it.next();
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            c => out.push(c),
        }
    }
    String::from_utf8(out).ok()
}

impl Checkpoint {
    /// Opens a checkpoint by prefix (`dir/model.ckpt`): reads and checks its whole index.
    pub fn open(prefix: impl AsRef<Path>) -> Result<Checkpoint> {
        let prefix = prefix.as_ref().to_path_buf();
        let path = index_path(&prefix);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let table = read_table(&bytes).map_err(|m| cerr(&path, m))?;
        let mut it = table.into_iter();
        let header = match it.next() {
            Some((k, v)) if k.is_empty() => {
                BundleHeaderProto::decode(v.as_slice()).map_err(|e| cerr(&path, format!("bad bundle header: {e}")))?
            }
            _ => return Err(cerr(&path, "no bundle header (the table's first key must be empty)")),
        };
        if header.endianness != proto::bundle_header_proto::Endianness::Little as i32 {
            return Err(cerr(&path, "the checkpoint was written on a big-endian machine; wgtf reads little-endian bundles"));
        }
        if let Some(v) = &header.version {
            if v.min_consumer > BUNDLE_VERSION || v.bad_consumers.contains(&BUNDLE_VERSION) {
                return Err(cerr(&path, format!("bundle format version {} is too new for this reader", v.producer)));
            }
        }
        if header.num_shards < 1 {
            return Err(cerr(&path, format!("the header declares {} data shards", header.num_shards)));
        }
        let mut entries = BTreeMap::new();
        for (k, v) in it {
            let key = String::from_utf8(k).map_err(|e| cerr(&path, format!("a key is not UTF-8: {e}")))?;
            let e = BundleEntryProto::decode(v.as_slice()).map_err(|e| cerr(&path, format!("entry '{key}': {e}")))?;
            if e.shard_id < 0 || e.shard_id >= header.num_shards {
                return Err(cerr(&path, format!("entry '{key}': shard {} of {}", e.shard_id, header.num_shards)));
            }
            if e.offset < 0 || e.size < 0 {
                return Err(cerr(&path, format!("entry '{key}': negative offset or size")));
            }
            entries.insert(key, e);
        }
        Ok(Checkpoint { prefix, num_shards: header.num_shards, entries })
    }

    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    /// Every key (tensor names; partitioned tensors' slices are listed under their full name).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(|s| s.as_str())
    }

    pub fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// The dtype and shape stored under `key`, without reading the data.
    pub fn info(&self, key: &str) -> Result<(DType, Vec<usize>)> {
        let e = self.entry(key)?;
        self.describe(key, e)
    }

    fn entry(&self, key: &str) -> Result<&BundleEntryProto> {
        self.entries
            .get(key)
            .ok_or_else(|| cerr(&index_path(&self.prefix), format!("no tensor named '{key}' in the checkpoint")))
    }

    fn describe(&self, key: &str, e: &BundleEntryProto) -> Result<(DType, Vec<usize>)> {
        let path = index_path(&self.prefix);
        let dtype = DType::from_tf(e.dtype)
            .ok_or_else(|| cerr(&path, format!("'{key}': unsupported data type {}", e.dtype)))?;
        let shape = match e.shape.as_ref().map(decode_shape).transpose() {
            Ok(None) => vec![],
            Ok(Some(Some(d))) if d.iter().all(Option::is_some) => d.into_iter().flatten().collect(),
            _ => return Err(cerr(&path, format!("'{key}': invalid shape"))),
        };
        num_elements(&shape).map_err(|e| cerr(&path, format!("'{key}': {e}")))?;
        Ok((dtype, shape))
    }

    /// Reads the tensor stored under `key`.
    pub fn read(&self, key: &str) -> Result<StoredTensor> {
        let e = self.entry(key)?;
        let (dtype, shape) = self.describe(key, e)?;
        if !e.slices.is_empty() {
            return Err(cerr(
                &index_path(&self.prefix),
                format!("'{key}' was saved in {} partitions (a partitioned variable), which wgtf does not read", e.slices.len()),
            ));
        }
        let n = num_elements(&shape).expect("checked by describe");
        let path = data_path(&self.prefix, e.shard_id, self.num_shards);
        let bytes = read_range(&path, e.offset as u64, e.size as u64, key)?;
        let err = |m: String| cerr(&path, format!("'{key}': {m}"));
        let data = match dtype {
            DType::String => {
                let (strings, crc) = parse_strings(&bytes, n).map_err(err)?;
                if crc != unmask_crc(e.crc32c) {
                    return Err(err("checksum mismatch: the file is damaged".into()));
                }
                StoredData::Strings(strings)
            }
            DType::Resource | DType::Variant => {
                return Err(err(format!("{dtype} tensors cannot be read")));
            }
            _ => {
                if Some(bytes.len()) != n.checked_mul(dtype.size_of()) {
                    return Err(err(format!(
                        "{} bytes stored for a {dtype} tensor of shape {shape:?} ({} bytes)",
                        bytes.len(),
                        n.saturating_mul(dtype.size_of())
                    )));
                }
                let actual = crc32c::crc32c(&bytes);
                if actual != unmask_crc(e.crc32c) {
                    return Err(err(format!(
                        "checksum mismatch (stored {:#010x}, computed {actual:#010x}): the file is damaged",
                        unmask_crc(e.crc32c)
                    )));
                }
                StoredData::Bytes(bytes)
            }
        };
        Ok(StoredTensor { dtype, shape, data })
    }
}

/// Reads `size` bytes at `offset` of a file, after checking the file holds them.
fn read_range(path: &Path, offset: u64, size: u64, key: &str) -> Result<Vec<u8>> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    match offset.checked_add(size) {
        Some(end) if end <= len => {}
        _ => {
            return Err(cerr(
                path,
                format!("'{key}' needs bytes {offset}..{} but the file has {len}: it is truncated", offset.saturating_add(size)),
            ))
        }
    }
    let size = usize::try_from(size).map_err(|_| cerr(path, format!("'{key}' is too large")))?;
    let mut buf = vec![0u8; size];
    f.seek(SeekFrom::Start(offset)).map_err(|e| Error::io(path, e))?;
    f.read_exact(&mut buf).map_err(|e| Error::io(path, e))?;
    Ok(buf)
}

/// A string tensor's bytes: `n` varint lengths, the masked CRC32C of the lengths (each as a
/// little-endian u32, or u64 when it does not fit), then the strings. Returns the strings and
/// the CRC32C of everything (lengths as integers, their checksum, the string bytes).
fn parse_strings(b: &[u8], n: usize) -> std::result::Result<(Vec<Vec<u8>>, u32), String> {
    if b.is_empty() && n == 0 {
        return Ok((vec![], 0));
    }
    // Each element takes at least one byte, so `n` is bounded by the data.
    if n > b.len() {
        return Err(format!("{n} strings cannot fit in {} bytes", b.len()));
    }
    let mut pos = 0;
    let mut lens = Vec::with_capacity(n);
    let mut crc = 0u32;
    for _ in 0..n {
        let l = varint(b, &mut pos, 10).ok_or("bad string length")?;
        crc = match u32::try_from(l) {
            Ok(v) => crc32c::crc32c_append(crc, &v.to_le_bytes()),
            Err(_) => crc32c::crc32c_append(crc, &l.to_le_bytes()),
        };
        lens.push(l);
    }
    let stored = b.get(pos..pos + 4).ok_or("the lengths' checksum is missing")?;
    let stored = u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]]);
    if unmask_crc(stored) != crc {
        return Err("checksum of the string lengths does not match: the file is damaged".into());
    }
    crc = crc32c::crc32c_append(crc, &stored.to_le_bytes());
    pos += 4;
    let mut out = Vec::with_capacity(n);
    for l in lens {
        let end = usize::try_from(l).ok().and_then(|l| pos.checked_add(l)).filter(|&e| e <= b.len());
        let end = end.ok_or("a string runs past the stored bytes")?;
        out.push(b[pos..end].to_vec());
        crc = crc32c::crc32c_append(crc, &b[pos..end]);
        pos = end;
    }
    if pos != b.len() {
        return Err(format!("{} bytes left over after the strings", b.len() - pos));
    }
    Ok((out, crc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_state_file_paths() {
        assert_eq!(unquote(r#""model.ckpt-100""#).unwrap(), "model.ckpt-100");
        assert_eq!(unquote(r#""a\"b\\c\101""#).unwrap(), "a\"b\\cA");
        assert!(unquote("model").is_none());
        assert_eq!(data_path(Path::new("d/m.ckpt"), 2, 10), PathBuf::from("d/m.ckpt.data-00002-of-00010"));
    }

    #[test]
    fn string_tensors_and_their_checksums() {
        let strs: [&[u8]; 3] = [b"ab", b"", b"xyz"];
        let mut b = Vec::new();
        let mut crc = 0u32;
        for s in &strs {
            b.push(s.len() as u8);
            crc = crc32c::crc32c_append(crc, &(s.len() as u32).to_le_bytes());
        }
        let masked = super::super::table::mask_crc(crc);
        b.extend_from_slice(&masked.to_le_bytes());
        for s in &strs {
            b.extend_from_slice(s);
        }
        let (out, _) = parse_strings(&b, 3).unwrap();
        assert_eq!(out, strs.iter().map(|s| s.to_vec()).collect::<Vec<_>>());
        let mut bad = b.clone();
        bad[0] = 9;
        assert!(parse_strings(&bad, 3).is_err());
        assert!(parse_strings(&b[..b.len() - 1], 3).is_err());
        assert!(parse_strings(&b, 1 << 40).is_err());
    }
}
