//! The fuzz harness, shared by the `cargo fuzz` targets (fuzz/fuzz_targets/*.rs) and the
//! regression tests (tests/malformed.rs, which include this file with `#[path]`): everything
//! here runs on the CPU only (import, planning, checks of the planned program), so it needs no
//! GPU and runs thousands of times a second.
//!
//! Every function returns the library's `Result`: an error is the expected outcome for a
//! malformed input; a panic, an abort (out of memory) or a broken program invariant
//! (`check_program`, which panics) is a bug.
#![allow(dead_code)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use wgtf::graph::{Graph, TensorRef};
use wgtf::kernel::{Program, Target, MAX_GROUPS_PER_DIM, META_BYTES};
use wgtf::lower::{compile, compile_for, fold_constants, CompileRequest};
use wgtf::{DType, LoadOptions, Result, Tensor};

/// Splits a fuzz input into `n` parts: each but the last is prefixed by its length (u32, little
/// endian; clamped to what is left), the last takes the rest. Short inputs give empty parts.
pub fn split(mut data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n.saturating_sub(1) {
        let len = match data {
            [a, b, c, d, rest @ ..] => {
                data = rest;
                (u32::from_le_bytes([*a, *b, *c, *d]) as usize).min(data.len())
            }
            _ => {
                let l = data.len();
                data = &data[l..];
                0
            }
        };
        let (head, tail) = data.split_at(len);
        out.push(head);
        data = tail;
    }
    out.push(data);
    out
}

/// The inverse of [`split`] (to write seeds and regression inputs).
pub fn join(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if i + 1 < parts.len() {
            out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(p);
    }
    out
}

/// The largest dim given to a placeholder of unknown size.
const FEED_DIM: usize = 3;

/// A feed for every placeholder the plan needs: its declared dtype and shape, unknown dims 3.
fn feeds(g: &Graph, order: &[usize]) -> Result<Vec<(TensorRef, DType, Vec<usize>)>> {
    let mut out = Vec::new();
    for &i in order {
        let n = &g.nodes[i];
        if n.op != "Placeholder" {
            continue;
        }
        // As a run checks a feed against the placeholder: bad attributes are errors.
        let dtype = n.attr_opt_dtype("dtype")?.unwrap_or(DType::F32);
        let shape = match n.attr_opt_shape("shape")?.dims() {
            // Declared dims as they are (a huge one must be refused by planning, not crash it).
            Some(d) => d.into_iter().map(|d| d.unwrap_or(FEED_DIM)).collect(),
            None => vec![FEED_DIM],
        };
        out.push((TensorRef::new(&n.name, 0), dtype, shape));
    }
    Ok(out)
}

/// Loads and plans a graph the way `Model::from_graph` and `Model::run` do, minus the GPU:
/// input check, control-flow preparation, support check, constant folding, fusion, then a plan
/// for every output (sink) with every placeholder fed. Returns the programs planned.
pub fn plan_graph(graph: Graph) -> Result<Vec<Program>> {
    graph.check_inputs()?;
    let reg = wgtf::ops::registry();
    let graph = wgtf::lower::pipeline::normalize(graph)?;
    let roots: Vec<TensorRef> =
        graph.sinks().into_iter().filter(|n| !wgtf::graph::op_kind::is_training_or_io(&n.op)).map(|n| TensorRef::new(&n.name, 0)).collect();
    let order = graph.prune(&roots, &HashSet::new())?;
    let mut unsupported = reg.unsupported(order.iter().map(|&i| &graph.nodes[i]));
    unsupported.extend(wgtf::lower::pipeline::unsupported_in_functions(&graph, reg)?);
    if !unsupported.is_empty() {
        return Err(wgtf::Error::Unsupported(unsupported));
    }
    let folded = fold_constants(&graph, reg, &order)?;
    let opt = wgtf::lower::fuse::optimize(&graph, &folded.values, reg);
    let opt_order = opt.prune(&roots, &HashSet::new())?;
    let opt_folded = fold_constants(&opt, reg, &opt_order)?;
    let feeds = feeds(&opt, &opt_order)?;
    let mut programs = Vec::new();
    // One plan for all outputs, then (when that fails) each output alone, as a user would.
    let all = compile(&CompileRequest { graph: &opt, registry: reg, folded: &opt_folded, feeds: &feeds, fetches: &roots });
    match all {
        Ok(p) => programs.push(p),
        Err(first) => {
            for r in roots.iter().take(4) {
                let fetch = std::slice::from_ref(r);
                let used: HashSet<usize> = opt.prune(fetch, &HashSet::new())?.into_iter().collect();
                let feeds: Vec<_> = feeds.iter().filter(|f| opt.node_index(&f.0.node).is_some_and(|i| used.contains(&i))).cloned().collect();
                if let Ok(p) = compile(&CompileRequest { graph: &opt, registry: reg, folded: &opt_folded, feeds: &feeds, fetches: fetch }) {
                    programs.push(p);
                }
            }
            if programs.is_empty() {
                return Err(first);
            }
        }
    }
    // The plan of all outputs again for an adapter like lavapipe with small bindings: 64-bit
    // integer kernels, the narrowing around ops without them, the subgroup GEMM, and windows
    // of weights beyond a binding.
    let lavapipe = Target { gemm: wgtf::kernel::GemmChoice::Subgroup, depthwise: wgtf::kernel::DepthwiseChoice::Cols4, int64: true, max_binding: 1 << 16, subgroups: true, batch_invariant: false, f16: false };
    if let Ok(p) = compile_for(&CompileRequest { graph: &opt, registry: reg, folded: &opt_folded, feeds: &feeds, fetches: &roots }, &lavapipe) {
        programs.push(p);
    }
    // And with floats held as f16 (`--precision f16`): the conversions at the edges of ops
    // without f16 kernels, and every kernel binding its float tensors as it declares them (and
    // the other depthwise form).
    let half = Target { f16: true, depthwise: wgtf::kernel::DepthwiseChoice::Cols1, ..lavapipe };
    if let Ok(p) = compile_for(&CompileRequest { graph: &opt, registry: reg, folded: &opt_folded, feeds: &feeds, fetches: &roots }, &half) {
        programs.push(p);
    }
    for p in &programs {
        check_program(p);
    }
    Ok(programs)
}

/// What every planned program must satisfy to run on any WebGPU device; panics otherwise.
pub fn check_program(p: &Program) {
    // A program with a tensor beyond 4 GiB can run nowhere: every device refuses it when
    // planning (runtime::plan::check_limits), before looking at its dispatches.
    let runnable = p.tensors.iter().all(|t| t.bytes() <= u32::MAX as u64);
    for k in &p.kernels {
        for g in k.groups {
            assert!(!runnable || g <= MAX_GROUPS_PER_DIM, "kernel of {} ({}) dispatches {:?} workgroups", k.node, k.op, k.groups);
        }
        assert!(k.meta.words.len() * 4 <= META_BYTES, "kernel of {} ({}): meta block of {} words", k.node, k.op, k.meta.words.len());
        for b in &k.bindings {
            assert!(b.id() < p.tensors.len(), "kernel of {} ({}) binds tensor {} of {}", k.node, k.op, b.id(), p.tensors.len());
        }
    }
    for (_, id) in &p.feeds {
        assert!(*id < p.tensors.len());
    }
    // Windows lie inside their tensor, at offsets every device can bind.
    for (i, t) in p.tensors.iter().enumerate() {
        if let wgtf::kernel::Source::Window { offset, .. } = t.source {
            let root = &p.tensors[p.root(i)];
            assert!(offset % 256 == 0, "window {} at offset {offset}", t.name);
            let end = p.window_offset(i) + t.elements() as u64 * t.storage.bytes();
            assert!(end <= root.elements() as u64 * root.storage.bytes(), "window {} ends at byte {end}, past {}", t.name, root.name);
        }
    }
}

/// A serialized GraphDef, imported and planned.
pub fn graph_def(bytes: &[u8]) -> Result<Vec<Program>> {
    let g = Graph::from_bytes(bytes, None)?;
    plan_graph(g)
}

/// A `.npy` file parsed; every value is then read (to catch lengths that do not match).
pub fn npy(bytes: &[u8]) -> std::result::Result<Tensor, String> {
    let t = Tensor::from_npy_bytes(bytes)?;
    assert_eq!(t.len(), t.shape().iter().product::<usize>(), "npy: shape {:?} but {} values", t.shape(), t.len());
    // Writing it back must work and read back equal (NaN payloads compare by bits below).
    if let Ok(b) = t.to_npy_bytes() {
        let u = Tensor::from_npy_bytes(&b).expect("a tensor wgtf wrote reads back");
        assert_eq!(u.shape(), t.shape());
        assert_eq!(u.dtype(), t.dtype());
    }
    Ok(t)
}

/// A scratch directory of this process (on tmpfs when there is one), emptied.
pub fn scratch(name: &str) -> PathBuf {
    let base = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    let tid = format!("{:?}", std::thread::current().id()).replace(|c: char| !c.is_ascii_alphanumeric(), "");
    let d = base.join(format!("wgtf-fuzz-{}-{}-{name}", std::process::id(), tid));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch directory");
    d
}

/// A checkpoint from three parts: the `checkpoint` state file, `model.ckpt.index`, and its one
/// data shard. Opens it (via the state file when it names a checkpoint, else by prefix), then
/// reads every tensor and decodes it.
pub fn checkpoint(data: &[u8]) -> Result<usize> {
    let parts = split(data, 3);
    let d = scratch("ckpt");
    std::fs::write(d.join("checkpoint"), parts[0]).unwrap();
    std::fs::write(d.join("model.ckpt.index"), parts[1]).unwrap();
    std::fs::write(d.join("model.ckpt.data-00000-of-00001"), parts[2]).unwrap();
    let r = read_checkpoint(&d);
    let _ = std::fs::remove_dir_all(&d);
    r
}

fn read_checkpoint(d: &Path) -> Result<usize> {
    let prefix = match wgtf::import::checkpoint::latest_checkpoint(d) {
        Ok(p) => p,
        Err(_) => d.join("model.ckpt"),
    };
    let ck = wgtf::import::Checkpoint::open(&prefix)?;
    let keys: Vec<String> = ck.keys().map(str::to_string).collect();
    let mut ok = 0;
    for k in keys.iter().take(64) {
        if ck.info(k).is_err() {
            continue;
        }
        if let Ok(t) = ck.read(k) {
            if let Ok(t) = t.to_tensor() {
                assert_eq!(t.len(), t.shape().iter().product::<usize>());
            }
            ok += 1;
        }
    }
    Ok(ok)
}

/// A SavedModel directory from three parts: `saved_model.pb`, `variables/variables.index` and
/// its one data shard (both absent when empty). Loaded as `Context::load` does, then planned.
pub fn saved_model(data: &[u8]) -> Result<usize> {
    let parts = split(data, 3);
    let d = scratch("sm");
    std::fs::write(d.join("saved_model.pb"), parts[0]).unwrap();
    if !parts[1].is_empty() {
        let v = d.join("variables");
        std::fs::create_dir_all(&v).unwrap();
        std::fs::write(v.join("variables.index"), parts[1]).unwrap();
        std::fs::write(v.join("variables.data-00000-of-00001"), parts[2]).unwrap();
    }
    let r = wgtf::import::load(&d, &LoadOptions::default());
    let _ = std::fs::remove_dir_all(&d);
    let loaded = r?;
    let n = loaded.graph.nodes.len();
    plan_graph(loaded.graph)?;
    Ok(n)
}

/// A TF.js graph model: `model.json` ‖ the bytes of its weight shards (all of them, given as
/// the first shard the manifest names; the others empty: a group's shards are concatenated
/// anyway). Decoded in memory, imported, then planned as `graph_def`.
pub fn tfjs(data: &[u8]) -> Result<usize> {
    let parts = split(data, 2);
    let path = Path::new("fuzz/model.json");
    let m = wgtf::import::tfjs::ModelJson::parse(parts[0], path)?;
    m.shard_paths(path)?;
    let mut first = true;
    let model = m.build(path, &mut |_| Ok(if std::mem::replace(&mut first, false) { parts[1].to_vec() } else { Vec::new() }), None)?;
    let graph = Graph::from_graph_def(model.graph, None)?;
    let n = graph.nodes.len();
    plan_graph(graph)?;
    Ok(n)
}

/// Reads fuzz bytes as choices (zeros once they run out).
pub struct Choices<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Choices<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Choices { data, pos: 0 }
    }
    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    pub fn below(&mut self, n: usize) -> usize {
        let v = (self.u8() as usize) << 8 | self.u8() as usize;
        v % n.max(1)
    }
    pub fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
    /// A small int, sometimes a hostile one.
    pub fn int(&mut self) -> i64 {
        match self.u8() % 16 {
            0 => -1,
            1 => i32::MAX as i64,
            2 => i64::MIN,
            3 => 1 << 31,
            4 => -(self.u8() as i64),
            _ => (self.u8() % 8) as i64,
        }
    }
    pub fn float(&mut self) -> f32 {
        match self.u8() % 16 {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2 => -1e30,
            _ => self.u8() as f32 / 16.0 - 4.0,
        }
    }
}

/// Builds a graph of registered ops from fuzz bytes: placeholders, constants of small shapes
/// (hostile values included), and nodes of any op wired to earlier tensors with any common
/// attributes. Reaches every op's `infer`, `fold` and `lower` far more often than mutated
/// protobuf bytes do. Planned as [`plan_graph`] does.
pub fn graph_ops(data: &[u8]) -> Result<Vec<Program>> {
    use wgtf::proto::{attr_value::{ListValue, Value}, tensor_shape_proto::Dim, AttrValue, GraphDef, NodeDef, TensorProto, TensorShapeProto};
    let mut c = Choices::new(data);
    let ops: Vec<&str> = wgtf::ops::registry().names().map(|(n, _)| n).collect();
    let dtypes = [1, 3, 9, 10, 2]; // float, int32, int64, bool, double
    let av = |v: Value| AttrValue { value: Some(v) };
    let shape = |c: &mut Choices, unknown: bool| -> Vec<i64> {
        let rank = c.u8() % 5;
        (0..rank).map(|_| match c.u8() % 8 {
            0 if unknown => -1,
            k => (k % 5) as i64,
        }).collect()
    };
    let shape_proto = |d: &[i64]| TensorShapeProto { dim: d.iter().map(|&size| Dim { size, name: String::new() }).collect(), unknown_rank: false };
    let mut nodes: Vec<NodeDef> = Vec::new();
    let mut tensors: Vec<String> = Vec::new();
    for i in 0..1 + c.u8() % 2 {
        let dims = shape(&mut c, true);
        let dt = dtypes[c.below(2)];
        let mut attr = std::collections::BTreeMap::new();
        attr.insert("dtype".to_string(), av(Value::Type(dt)));
        attr.insert("shape".to_string(), av(Value::Shape(shape_proto(&dims))));
        nodes.push(NodeDef { name: format!("x{i}"), op: "Placeholder".into(), input: vec![], device: String::new(), attr });
        tensors.push(format!("x{i}"));
    }
    let mut k = 0;
    while !c.done() && nodes.len() < 24 {
        k += 1;
        if c.u8() % 3 == 0 {
            // A constant.
            let dims = shape(&mut c, false);
            let n: usize = dims.iter().map(|&d| d as usize).product();
            let dt = dtypes[c.below(dtypes.len())];
            let mut t = TensorProto { dtype: dt, tensor_shape: Some(shape_proto(&dims)), ..Default::default() };
            match dt {
                1 => t.float_val = (0..n).map(|_| c.float()).collect(),
                2 => t.double_val = (0..n).map(|_| c.float() as f64).collect(),
                3 => t.int_val = (0..n).map(|_| c.int() as i32).collect(),
                9 => t.int64_val = (0..n).map(|_| c.int()).collect(),
                _ => t.bool_val = (0..n).map(|_| c.u8() % 2 == 0).collect(),
            }
            let mut attr = std::collections::BTreeMap::new();
            attr.insert("dtype".to_string(), av(Value::Type(dt)));
            attr.insert("value".to_string(), av(Value::Tensor(t)));
            nodes.push(NodeDef { name: format!("c{k}"), op: "Const".into(), input: vec![], device: String::new(), attr });
            tensors.push(format!("c{k}"));
            continue;
        }
        let op = ops[c.below(ops.len())];
        let n_in = c.u8() % 4;
        let input: Vec<String> = (0..n_in)
            .map(|_| {
                let t = &tensors[c.below(tensors.len())];
                match c.u8() % 8 {
                    0 => format!("{t}:1"),
                    _ => t.clone(),
                }
            })
            .collect();
        let t = dtypes[c.below(dtypes.len())];
        let mut attr = std::collections::BTreeMap::new();
        for name in ["T", "Tidx", "Tshape", "Tpaddings", "Tmultiples", "Tindices", "Tparams", "TI", "Taxis", "index_type", "out_type", "output_type", "dtype", "DstT", "SrcT", "Tperm", "Tblock_shape", "Tcrops"] {
            attr.insert(name.to_string(), av(Value::Type(if c.u8() % 4 == 0 { dtypes[c.below(dtypes.len())] } else { t })));
        }
        let flags = c.u8();
        for (j, name) in ["keep_dims", "transpose_a", "transpose_b", "adj_x", "adj_y", "align_corners", "half_pixel_centers", "exclusive", "reverse", "sorted"].iter().enumerate() {
            attr.insert(name.to_string(), av(Value::B(flags >> (j % 8) & 1 == 1)));
        }
        for name in ["axis", "N", "num_split", "num", "begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask", "batch_dims", "k", "block_size", "depth", "seed"] {
            if c.u8() % 2 == 0 {
                attr.insert(name.to_string(), av(Value::I(c.int())));
            }
        }
        for name in ["strides", "ksize", "dilations", "squeeze_dims", "explicit_paddings", "size_splits"] {
            if c.u8() % 3 == 0 {
                let len = c.u8() % 6;
                attr.insert(name.to_string(), av(Value::List(ListValue { i: (0..len).map(|_| c.int()).collect(), ..Default::default() })));
            }
        }
        let padding: &[u8] = [&b"SAME"[..], b"VALID", b"EXPLICIT", b"bogus"][c.below(4)];
        attr.insert("padding".into(), av(Value::S(padding.to_vec())));
        let fmt: &[u8] = [&b"NHWC"[..], b"NCHW", b"NDHWC", b"X"][c.below(4)];
        attr.insert("data_format".into(), av(Value::S(fmt.to_vec())));
        for name in ["alpha", "epsilon", "beta", "bias", "iou_threshold", "score_threshold", "min", "max"] {
            if c.u8() % 3 == 0 {
                attr.insert(name.to_string(), av(Value::F(c.float())));
            }
        }
        nodes.push(NodeDef { name: format!("n{k}"), op: op.into(), input, device: String::new(), attr });
        tensors.push(format!("n{k}"));
    }
    let g = Graph::from_graph_def(GraphDef { node: nodes, ..Default::default() }, None)?;
    plan_graph(g)
}

#[path = "../tests/hardening/mod.rs"]
mod hardening;

/// A checkpoint whose `.index` is a *valid* table (so the checks behind the table's checksums
/// run) of entries built from fuzz bytes: any dtype (unknown ones too), hostile shapes, shard
/// ids, offsets and sizes around the data shard's length, correct or wrong CRCs, slices; a
/// header of any shard count and endianness. The rest of the bytes is the data shard. Then
/// every tensor is read as in [`checkpoint`].
pub fn checkpoint_entries(data: &[u8]) -> Result<usize> {
    use prost::Message;
    use wgtf::proto::{BundleEntryProto, BundleHeaderProto, TensorSliceProto, VersionDef};
    let mut c = Choices::new(data);
    let header = BundleHeaderProto {
        num_shards: [1, 1, 1, 0, 2, -1][c.below(6)],
        endianness: (c.u8() % 8 == 0) as i32,
        version: (c.u8() % 4 == 0).then(|| VersionDef { producer: 1, min_consumer: c.int() as i32, bad_consumers: vec![] }),
    };
    let n = 1 + c.u8() as usize % 5;
    let choices: Vec<(String, u8, Vec<i64>, i32, u8, u8, u8, bool)> = (0..n)
        .map(|i| {
            let dims: Vec<i64> = (0..c.u8() % 4).map(|_| match c.u8() % 10 {
                0 => -1,
                1 => 1 << 40,
                2 => i64::MAX,
                k => (k % 5) as i64,
            }).collect();
            (format!("v{i}"), c.u8(), dims, [0, 0, 0, 1, -1][c.below(5)], c.u8(), c.u8(), c.u8(), c.u8() % 8 == 0)
        })
        .collect();
    let shard: Vec<u8> = data[c.pos.min(data.len())..].to_vec();
    let len = shard.len() as i64;
    let dtypes = [1, 2, 3, 9, 4, 10, 7, 19, 14, 20, 21, 999, 0];
    let entries: Vec<(Vec<u8>, Vec<u8>)> = std::iter::once((Vec::new(), header.encode_to_vec()))
        .chain(choices.into_iter().map(|(key, dt, dims, shard_id, off, size, crc, sliced)| {
            let offset = match off % 8 { 0 => len, 1 => i64::MAX, 2 => -1, k => (k as i64 * len / 8).min(len) };
            let size = match size % 8 { 0 => len - offset.clamp(0, len), 1 => i64::MAX, 2 => -4, k => (k as i64 * 4).min(len) };
            let in_range = offset >= 0 && size >= 0 && offset.checked_add(size).is_some_and(|e| e <= len);
            let crc32c = if in_range && crc % 4 != 0 {
                hardening::mask_crc(hardening::crc32c_sw(&shard[offset as usize..(offset + size) as usize]))
            } else {
                crc as u32 * 0x0101_0101
            };
            let e = BundleEntryProto {
                dtype: dtypes[dt as usize % dtypes.len()],
                shape: Some(hardening::shape(&dims)),
                shard_id,
                offset,
                size,
                crc32c,
                slices: if sliced { vec![TensorSliceProto::default()] } else { vec![] },
            };
            (key.into_bytes(), e.encode_to_vec())
        }))
        .collect();
    let index = hardening::write_table(&entries);
    let d = scratch("ckpt-entries");
    std::fs::write(d.join("model.ckpt.index"), &index).unwrap();
    std::fs::write(d.join("model.ckpt.data-00000-of-00001"), &shard).unwrap();
    let r = read_checkpoint(&d);
    let _ = std::fs::remove_dir_all(&d);
    r
}

/// The model interface the `serve_request` target decodes against: every kind of input a
/// request can feed — float images of unknown and fixed size, uint8 images, int32 and int64
/// ids, bools, strings, float16, a scalar — over two signatures, one with a single input (for
/// bare values) and one with several.
pub fn serve_api() -> wgtf::serve::signature::ModelApi {
    use wgtf::import::{ModelKind, SignatureInfo, SignatureTensor};
    let t = |key: &str, dtype: DType, shape: Option<Vec<Option<usize>>>| SignatureTensor { key: key.into(), tensor: format!("{key}:0"), dtype: Some(dtype), shape };
    let sigs = vec![
        SignatureInfo {
            key: "serving_default".into(),
            method: "tensorflow/serving/predict".into(),
            inputs: vec![
                t("image", DType::F32, Some(vec![None, Some(8), Some(8), Some(1)])),
                t("pixels", DType::U8, Some(vec![None, Some(4), Some(4), Some(3)])),
                t("any_image", DType::F32, Some(vec![None, None, None, Some(3)])),
                t("ids", DType::I32, Some(vec![None])),
                t("big", DType::I64, Some(vec![None, Some(2)])),
                t("mask", DType::Bool, Some(vec![Some(2)])),
                t("text", DType::String, Some(vec![None])),
                t("half", DType::F16, None),
                t("scale", DType::F32, Some(vec![])),
            ],
            outputs: vec![t("out", DType::F32, Some(vec![None, Some(10)]))],
        },
        SignatureInfo { key: "one".into(), method: String::new(), inputs: vec![t("x", DType::F32, Some(vec![None, Some(3)]))], outputs: vec![t("y", DType::F32, None)] },
    ];
    // Every input optional: a request may feed any of them.
    let optional = sigs.iter().flat_map(|s| &s.inputs).map(|i| i.tensor.clone()).collect();
    wgtf::serve::signature::ModelApi::new(&ModelKind::SavedModel { dir: PathBuf::new(), tags: vec![] }, sigs, None, vec![], optional, vec![])
}

/// Float values by bits, every NaN as one (JSON's `NaN` has no sign or payload).
fn canonical(t: &Tensor) -> (DType, Vec<usize>, String) {
    let data = match t.data() {
        wgtf::tensor::Data::F32(v) => format!("{:?}", v.iter().map(|x| if x.is_nan() { u32::MAX } else { x.to_bits() }).collect::<Vec<_>>()),
        d => format!("{d:?}"),
    };
    (t.dtype(), t.shape().to_vec(), data)
}

/// A `wgtf serve` request body, decoded as a TensorFlow Serving `:predict` body and as a KServe
/// `infer` body against [`serve_api`] (JSON, `NaN` literals, nested lists, `b64` values and
/// images). Every feed it decodes must be what its input declares, and must decode to the same
/// tensor again once written back as JSON the way the server writes tensors. Returns the number
/// of feeds decoded.
pub fn serve_request(data: &[u8]) -> usize {
    use wgtf::serve::{encode, kserve, tfserving};
    let api = serve_api();
    let images = wgtf::image::ImageOptions::default();
    let mut n = 0;
    for r in [tfserving::decode_predict(data, &api, "m", &images), kserve::decode_infer(data, &api, "m", &images)] {
        let Ok(d) = r else { continue };
        let sig = api.signature("m", Some(&d.signature)).expect("the decoded signature exists");
        for (name, t) in &d.feeds {
            let spec = sig.inputs.iter().find(|i| &i.tensor == name).expect("a feed of a signature input");
            assert!(spec.dtype.is_none_or(|dt| dt == t.dtype()), "{name}: {} fed to a {:?} input", t.dtype(), spec.dtype);
            if let Some(s) = &spec.shape {
                assert!(s.len() == t.rank() && s.iter().zip(t.shape()).all(|(w, g)| w.is_none_or(|w| w == *g)), "{name}: shape {:?} fed to {s:?}", t.shape());
            }
            assert_eq!(t.len(), t.shape().iter().product::<usize>());
            n += 1;
            if t.is_empty() {
                // JSON lists cannot say the inner dims of an empty tensor.
                continue;
            }
            // Written back as the server writes tensors, it decodes to the same values.
            let mut json = String::from("{\"signature_name\": ");
            encode::key(&mut json, &d.signature);
            json.push_str(", \"inputs\": {");
            encode::key(&mut json, &spec.key);
            json.push(':');
            encode::nested(&mut json, t);
            json.push_str("}}");
            let one = wgtf::serve::signature::ModelApi { optional: sig.inputs.iter().map(|i| i.tensor.clone()).collect(), ..api.clone() };
            let again = tfserving::decode_predict(json.as_bytes(), &one, "m", &images).unwrap_or_else(|e| panic!("{name}: {json:.200} does not decode again: {e}"));
            assert_eq!(canonical(&again.feeds[0].1), canonical(t), "{name}: changed when written back");
        }
    }
    n
}
