//! The malformed-input corpus (issue 9): every kind of bad model, checkpoint, `.npy` or feed
//! gives a typed error — never a panic, a hang or a huge allocation — and NaN/Inf feeds give
//! TensorFlow's results. Also replays the fuzz corpora and every input a fuzzer found crashing
//! (fuzz/regressions/), through the same harness as the fuzz targets (fuzz/common.rs).
mod common;
mod hardening;

#[path = "../fuzz/common.rs"]
mod harness;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

use hardening::*;
use prost::Message;
use wgtf::proto::{BundleEntryProto, TensorProto};
use wgtf::{DType, Error, LoadOptions, Tensor};

// ---------------------------------------------------------------------------------------------
// The largest single allocation made by this thread, to check that absurd declared sizes are
// refused before anything is allocated (an allocation that the OS overcommits would otherwise
// go unnoticed).

struct Tracking;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|m| {
        if size > m.get() {
            m.set(size)
        }
    });
}

unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        note(l.size());
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        note(l.size());
        System.alloc_zeroed(l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        note(new);
        System.realloc(p, l, new)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
}

#[global_allocator]
static GLOBAL: Tracking = Tracking;

/// Runs `f` and returns its result with the largest single allocation it made on this thread.
fn largest_allocation<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LARGEST.with(|m| m.set(0));
    let r = f();
    (r, LARGEST.with(|m| m.get()))
}

/// No single allocation while refusing an absurd size may exceed this.
const SMALL_ALLOC: usize = 64 << 20;

// ---------------------------------------------------------------------------------------------

fn fixture(case: &str, file: &str) -> Vec<u8> {
    std::fs::read(common::fixtures_dir().join(case).join(file)).unwrap()
}

fn load(bytes: &[u8]) -> wgtf::Result<wgtf::Model> {
    thread_local! {
        static CTX: wgtf::Context = common::context();
    }
    CTX.with(|c| c.load_graph_def(bytes, &LoadOptions::default()))
}

fn f32s(t: &Tensor) -> Vec<f32> {
    t.to_f32_vec().unwrap()
}

/// `x[?, 3]` → Relu → y: the model the feed tests use.
fn relu_model() -> Vec<u8> {
    bytes(vec![placeholder("x", F32, &[-1, 3]), op("y", "Relu", &["x"])])
}

// --- truncated -------------------------------------------------------------------------------

#[test]
fn truncated_graph_defs_are_errors() {
    let full = fixture("mlp", "model.pb");
    harness::graph_def(&full).expect("the whole model plans");
    let mut errors = 0;
    for n in 0..full.len() {
        // A prefix that ends on a field boundary is a valid, smaller GraphDef (protobuf has no
        // end marker): it may plan. Anything else is an error; nothing may panic.
        if harness::graph_def(&full[..n]).is_err() {
            errors += 1;
        }
    }
    assert!(errors > full.len() / 2, "only {errors} of {} prefixes were refused", full.len());
    // Cut inside the last field: a decode error naming the GraphDef.
    match load(&full[..full.len() - 1]) {
        Err(Error::Decode { what, .. }) => assert!(what.contains("GraphDef"), "{what}"),
        Err(e) => panic!("expected a decode error, got {e}"),
        Ok(_) => panic!("a truncated GraphDef loaded"),
    }
}

#[test]
fn truncated_npy_files_are_errors() {
    let full = fixture("mlp", "in0.npy");
    harness::npy(&full).unwrap();
    for n in 0..full.len() {
        assert!(harness::npy(&full[..n]).is_err(), "a .npy file cut to {n} of {} bytes was read", full.len());
    }
}

/// A checkpoint of two float tensors: (index, data).
fn small_checkpoint() -> (Vec<u8>, Vec<u8>) {
    let (a, mut data) = f32_entry("dense/kernel", &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 0);
    let (b, d2) = f32_entry("dense/bias", &[3], &[0.5, -0.5, 0.25], data.len());
    data.extend(d2);
    (checkpoint_index(&[a, b]), data)
}

#[test]
fn truncated_checkpoints_are_errors() {
    let (index, data) = small_checkpoint();
    let whole = harness::join(&[b"", &index, &data]);
    assert_eq!(harness::checkpoint(&whole).unwrap(), 2, "both tensors read");
    for n in 0..index.len() {
        let e = harness::checkpoint(&harness::join(&[b"", &index[..n], &data])).unwrap_err();
        assert!(matches!(e, Error::Checkpoint { .. }), "index cut to {n}: {e}");
    }
    // A cut data shard: the tensors past the cut cannot be read.
    let dir = harness::scratch("truncated-data");
    std::fs::write(dir.join("m.index"), &index).unwrap();
    for n in 0..data.len() {
        std::fs::write(dir.join("m.data-00000-of-00001"), &data[..n]).unwrap();
        let ck = wgtf::import::Checkpoint::open(dir.join("m")).unwrap();
        let e = ck.read("dense/bias").unwrap_err();
        assert!(e.to_string().contains("truncated"), "data cut to {n}: {e}");
    }
    std::fs::remove_file(dir.join("m.data-00000-of-00001")).unwrap();
    let ck = wgtf::import::Checkpoint::open(dir.join("m")).unwrap();
    assert!(matches!(ck.read("dense/kernel"), Err(Error::Io { .. })), "a missing shard is an I/O error");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn truncated_saved_models_are_errors() {
    let dir = common::fixtures_dir().join("../persist/saved_model_tf1_builder/saved_model");
    if !dir.is_dir() {
        // The SavedModel fixtures come with the checkpoint reader (tests/persistence.rs).
        eprintln!("no SavedModel fixture at {}: covered by the fuzz corpus only", dir.display());
        return;
    }
    let pb = std::fs::read(dir.join("saved_model.pb")).unwrap();
    let index = std::fs::read(dir.join("variables/variables.index")).unwrap();
    let data = std::fs::read(dir.join("variables/variables.data-00000-of-00001")).unwrap();
    harness::saved_model(&harness::join(&[&pb, &index, &data])).expect("the whole SavedModel loads and plans");
    for n in (0..pb.len()).step_by(97).chain([pb.len() - 1]) {
        assert!(harness::saved_model(&harness::join(&[&pb[..n], &index, &data])).is_err(), "saved_model.pb cut to {n}");
    }
    for n in 0..data.len() {
        assert!(harness::saved_model(&harness::join(&[&pb, &index, &data[..n]])).is_err(), "variables data cut to {n}");
    }
}

// --- bit-flipped -----------------------------------------------------------------------------

#[test]
fn bit_flipped_graph_defs_never_panic_and_run_or_fail_cleanly() {
    let full = fixture("mlp", "model.pb");
    let x = Tensor::read_npy(common::fixtures_dir().join("mlp/in0.npy")).unwrap();
    let mut loaded = 0;
    for i in 0..full.len() {
        let mut b = full.clone();
        b[i] ^= 1 << (i % 8);
        let _ = harness::graph_def(&b);
        // Every tenth one also on the GPU: load and run (inputs or outputs may have been renamed
        // or changed: only a clean result or error counts).
        if i % 10 == 0 {
            if let Ok(m) = load(&b) {
                loaded += 1;
                let names: Vec<String> = m.outputs();
                let fetches: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
                if let Ok(out) = m.run(&[("x:0", &x)], &fetches) {
                    assert_eq!(out.len(), fetches.len());
                }
            }
        }
    }
    assert!(loaded > 0, "no flipped model loaded: the GPU path was not exercised");
}

#[test]
fn bit_flipped_checkpoint_data_is_always_caught() {
    let (index, data) = small_checkpoint();
    for i in 0..data.len() {
        for bit in [0x01u8, 0x80] {
            let mut d = data.clone();
            d[i] ^= bit;
            // The flipped byte belongs to one of the tensors: its CRC32C no longer matches.
            assert_eq!(harness::checkpoint(&harness::join(&[b"", &index, &d])).unwrap(), 1, "byte {i} bit {bit:#x}");
        }
    }
    // Flips in the index: caught by the table's checksums, or harmless; never a panic.
    for i in 0..index.len() {
        let mut x = index.clone();
        x[i] ^= 1 << (i % 8);
        let _ = harness::checkpoint(&harness::join(&[b"", &x, &data]));
    }
}

#[test]
fn bit_flipped_npy_files_never_panic() {
    for (case, file) in [("mlp", "in0.npy"), ("int64_ops", "in0.npy"), ("compare_logic", "out0.npy")] {
        let full = fixture(case, file);
        for i in 0..full.len() {
            for bit in 0..8 {
                let mut b = full.clone();
                b[i] ^= 1 << bit;
                let (_, largest) = largest_allocation(|| harness::npy(&b));
                assert!(largest < SMALL_ALLOC, "{case}/{file} byte {i}: {largest} bytes allocated");
            }
        }
    }
}

// --- wrong dtype -----------------------------------------------------------------------------

#[test]
fn wrong_dtypes_are_errors() {
    // tensor_content whose size does not match the dtype.
    let t = TensorProto { dtype: F32, tensor_shape: Some(shape(&[3])), tensor_content: vec![0; 10], ..Default::default() };
    let e = load(&bytes(vec![const_tensor("c", t), op("y", "Relu", &["c"])])).err().expect("bad content loaded");
    assert!(e.to_string().contains("tensor_content"), "{e}");
    // An unknown dtype number.
    let t = TensorProto { dtype: 999, tensor_shape: Some(shape(&[1])), ..Default::default() };
    let e = load(&bytes(vec![const_tensor("c", t), op("y", "Relu", &["c"])])).err().expect("dtype 999 loaded");
    assert!(e.to_string().contains("999"), "{e}");
    // A Placeholder of an unknown dtype: feeding it is an error.
    let r = load(&bytes(vec![placeholder("x", 777, &[2]), op("y", "Relu", &["x"])]))
        .and_then(|m| m.run(&[("x", &Tensor::from_f32(vec![2], vec![1.0, 2.0]).unwrap())], &["y"]));
    let e = r.err().expect("a placeholder of dtype 777 was fed");
    assert!(e.to_string().contains("777"), "{e}");
    // Inputs of mismatched dtypes (float + int32) to one Add.
    let g = bytes(vec![placeholder("x", F32, &[2]), const_i32("k", &[2], &[1, 2]), op("y", "AddV2", &["x", "k"])]);
    let r = load(&g).and_then(|m| m.run(&[("x", &Tensor::from_f32(vec![2], vec![1.0, 2.0]).unwrap())], &["y"]));
    let e = r.err().expect("float + int32 ran");
    assert!(matches!(e, Error::Node { .. }), "{e}");
    // A checkpoint entry whose dtype does not match its bytes.
    let (mut t, data) = f32_entry("v", &[3], &[1.0, 2.0, 3.0], 0);
    t.entry.dtype = I64;
    let e = harness::checkpoint(&harness::join(&[b"", &checkpoint_index(&[t]), &data]));
    assert_eq!(e.unwrap(), 0, "an int64 entry over 12 bytes was read");
    // An .npy of a dtype wgtf does not read (complex64), and an object array.
    for descr in ["<c8", "|O", "<M8[s]"] {
        let npy = npy_with_header(&format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}"), &[0; 16]);
        assert!(harness::npy(&npy).is_err(), "{descr} read");
    }
}

/// An .npy file (version 1.0) with this header dict and data.
fn npy_with_header(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut h = dict.to_string();
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out
}

#[test]
fn npy_header_and_layout_errors() {
    let ok = npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", &[0; 8]);
    assert_eq!(harness::npy(&ok).unwrap().shape(), &[2]);
    let fortran = npy_with_header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", &[0; 16]);
    assert!(harness::npy(&fortran).unwrap_err().contains("Fortran"));
    let short = npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", &[0; 8]);
    assert!(harness::npy(&short).is_err());
    let structured = npy_with_header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", &[0; 4]);
    assert!(harness::npy(&structured).is_err());
    for garbage in [&b"NUMPY"[..], b"\x93NUMPY\x09\x00\x00\x00", b"\x93NUMPY\x01\x00\xff\xff{"] {
        assert!(harness::npy(garbage).is_err());
    }
    let err = Tensor::read_npy("/nonexistent/x.npy").unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
}

// --- cyclic, dangling, duplicate -------------------------------------------------------------

#[test]
fn cyclic_graphs_are_errors() {
    let g = bytes(vec![placeholder("x", F32, &[2]), op("a", "AddV2", &["x", "b"]), op("b", "Relu", &["a"]), op("y", "Neg", &["b"])]);
    let e = load(&g).err().expect("a cyclic graph loaded");
    assert!(matches!(e, Error::Node { .. }) && e.to_string().contains("cycle"), "{e}");
    // A self-loop: not an output (it consumes itself), so loading finds nothing to check; asking
    // for it is an error.
    let g = bytes(vec![placeholder("x", F32, &[2]), op("a", "AddV2", &["x", "a"]), op("y", "Neg", &["x"])]);
    let m = load(&g).unwrap();
    let x = Tensor::from_f32(vec![2], vec![1.0, 2.0]).unwrap();
    let e = m.run(&[("x", &x)], &["a"]).unwrap_err();
    assert!(matches!(e, Error::Node { .. }) && e.to_string().contains("cycle"), "{e}");
    assert_eq!(f32s(&m.run(&[("x", &x)], &["y"]).unwrap()[0]), [-1.0, -2.0]);
}

#[test]
fn dangling_inputs_are_errors() {
    let g = bytes(vec![placeholder("x", F32, &[2]), op("y", "AddV2", &["x", "nope"])]);
    let e = load(&g).err().expect("a dangling input loaded");
    assert!(matches!(e, Error::Node { ref node, .. } if node == "y") && e.to_string().contains("nope"), "{e}");
    let g = bytes(vec![placeholder("x", F32, &[2]), op("y", "Relu", &["x", "^ghost"])]);
    let e = load(&g).err().expect("a dangling control input loaded");
    assert!(e.to_string().contains("ghost"), "{e}");
    // An output index the producer does not have.
    let g = bytes(vec![placeholder("x", F32, &[2]), op("r", "Relu", &["x"]), op("y", "Neg", &["r:5"])]);
    let r = load(&g).and_then(|m| m.run(&[("x", &Tensor::from_f32(vec![2], vec![1.0, 2.0]).unwrap())], &["y"]));
    let e = r.err().expect("r:5 was read");
    assert!(e.to_string().contains("r:5"), "{e}");
    // Malformed references.
    for bad in ["x:abc", "x:-1", ":0", "x:99999999999999999999"] {
        let g = bytes(vec![placeholder("x", F32, &[2]), op("y", "Relu", &[bad])]);
        assert!(load(&g).is_err(), "input '{bad}' loaded");
    }
}

#[test]
fn duplicate_node_names_are_errors() {
    let g = bytes(vec![placeholder("x", F32, &[2]), op("y", "Relu", &["x"]), op("y", "Neg", &["x"])]);
    let e = load(&g).err().expect("duplicate names loaded");
    assert!(matches!(e, Error::InvalidModel(_)) && e.to_string().contains("'y'"), "{e}");
    // A node without a name.
    let e = load(&bytes(vec![placeholder("", F32, &[2])])).err().expect("a nameless node loaded");
    assert!(matches!(e, Error::InvalidModel(_)), "{e}");
}

// --- absurd shapes ---------------------------------------------------------------------------

/// Each graph declares or computes a tensor far beyond any memory: loading and running it must
/// fail with an error, and nothing large may be allocated on the way.
#[test]
fn absurd_shapes_fail_before_allocating() {
    let huge = 1i64 << 40;
    let x2 = || placeholder("x", F32, &[2]);
    let cases: Vec<(&str, Vec<wgtf::proto::NodeDef>)> = vec![
        ("const filled from one value", vec![
            const_tensor("c", TensorProto { dtype: F32, tensor_shape: Some(shape(&[huge])), float_val: vec![1.0], ..Default::default() }),
            op("y", "Relu", &["c"]),
        ]),
        ("const whose dims overflow", vec![
            const_tensor("c", TensorProto { dtype: F32, tensor_shape: Some(shape(&[1 << 31, 1 << 31, 1 << 31])), ..Default::default() }),
            op("y", "Relu", &["c"]),
        ]),
        ("const of a negative dim", vec![
            const_tensor("c", TensorProto { dtype: F32, tensor_shape: Some(shape(&[-7])), ..Default::default() }),
            op("y", "Relu", &["c"]),
        ]),
        ("Fill of 2^32 elements", vec![
            const_i32("dims", &[2], &[65536, 65536]),
            const_f32("v", &[], &[1.0]),
            node("y", "Fill", &["dims", "v"], vec![("T", ty(F32)), ("index_type", ty(I32))]),
        ]),
        ("Fill whose dims overflow", vec![
            const_i64("dims", &[3], &[huge, huge, huge]),
            const_f32("v", &[], &[1.0]),
            node("y", "Fill", &["dims", "v"], vec![("T", ty(F32)), ("index_type", ty(I64))]),
        ]),
        ("Fill of a runtime value to 2^40", vec![
            const_i64("dims", &[1], &[huge]),
            x2(),
            node("s", "Sum", &["x", "ax"], vec![("T", ty(F32)), ("Tidx", ty(I32)), ("keep_dims", bool_attr(false))]),
            const_i32("ax", &[1], &[0]),
            node("y", "Fill", &["dims", "s"], vec![("T", ty(F32)), ("index_type", ty(I64))]),
        ]),
        ("Tile to 2^62", vec![
            x2(),
            const_i64("m", &[1], &[1 << 61]),
            node("y", "Tile", &["x", "m"], vec![("T", ty(F32)), ("Tmultiples", ty(I64))]),
        ]),
        ("BroadcastTo 2^20 x 2^20 x 2^20", vec![
            x2(),
            const_i64("s", &[3], &[1 << 20, 1 << 20, 2]),
            node("y", "BroadcastTo", &["x", "s"], vec![("T", ty(F32)), ("Tidx", ty(I64))]),
        ]),
        ("Reshape to 2^40 x 2^40", vec![
            x2(),
            const_i64("s", &[2], &[huge, huge]),
            node("y", "Reshape", &["x", "s"], vec![("T", ty(F32)), ("Tshape", ty(I64))]),
        ]),
        ("Range of 10^12 values", vec![
            const_f32("a", &[], &[0.0]),
            const_f32("b", &[], &[1e12]),
            const_f32("d", &[], &[1.0]),
            node("y", "Range", &["a", "b", "d"], vec![("Tidx", ty(F32))]),
        ]),
        ("ZerosLike of a 2^40 placeholder", vec![
            placeholder("p", F32, &[huge, huge]),
            op("y", "ZerosLike", &["p"]),
        ]),
        ("Pad by 2^40", vec![
            x2(),
            const_i64("p", &[1, 2], &[huge, huge]),
            node("y", "Pad", &["x", "p"], vec![("T", ty(F32)), ("Tpaddings", ty(I64))]),
        ]),
        ("OneHot of depth 2^40", vec![
            const_i32("i", &[2], &[0, 1]),
            const_i32("depth", &[], &[i32::MAX]),
            const_f32("on", &[], &[1.0]),
            const_f32("off", &[], &[0.0]),
            node("y", "OneHot", &["i", "depth", "on", "off"], vec![("T", ty(F32)), ("TI", ty(I32)), ("axis", int(-1))]),
        ]),
    ];
    let x = Tensor::from_f32(vec![2], vec![1.0, 2.0]).unwrap();
    for (what, nodes) in cases {
        let g = bytes(nodes);
        let (r, largest) = largest_allocation(|| harness::graph_def(&g));
        assert!(largest < SMALL_ALLOC, "{what}: planning allocated {largest} bytes at once");
        // Planning the graph alone (host only) may succeed only when no plan needed the tensor.
        let (r2, largest) = largest_allocation(|| {
            let m = load(&g)?;
            let feeds: Vec<(&str, &Tensor)> = if m.inputs().iter().any(|i| i.name == "x:0") { vec![("x", &x)] } else { vec![] };
            m.run(&feeds, &["y"])
        });
        assert!(largest < SMALL_ALLOC, "{what}: loading and running allocated {largest} bytes at once");
        let e = r2.err().unwrap_or_else(|| panic!("{what}: ran (host plan: {:?})", r.map(|p| p.len())));
        eprintln!("{what}: {e}");
    }
}

#[test]
fn absurd_feed_shapes_are_refused_when_planning() {
    let m = load(&relu_model()).unwrap();
    for shape in [vec![1usize << 40, 3], vec![usize::MAX, 3], vec![1 << 31, 3]] {
        let (r, largest) = largest_allocation(|| m.plan_summary(&[("x", DType::F32, shape.clone())], &["y"]));
        assert!(r.is_err(), "{shape:?} planned");
        assert!(largest < SMALL_ALLOC, "{shape:?}: {largest} bytes");
    }
    // Declared in the graph itself.
    let g = bytes(vec![placeholder("x", F32, &[1 << 40, 1 << 40]), op("y", "Relu", &["x"])]);
    let (_, largest) = largest_allocation(|| harness::graph_def(&g));
    assert!(largest < SMALL_ALLOC, "{largest} bytes");
    let m = load(&g).unwrap();
    let (r, largest) = largest_allocation(|| m.plan_summary(&[("x", DType::F32, vec![1 << 40, 1 << 40])], &["y"]));
    let e = r.err().expect("a [2^40, 2^40] placeholder planned");
    assert!(matches!(e, Error::OutOfMemory(_)) && e.to_string().contains("x:0"), "{e}");
    assert!(largest < SMALL_ALLOC, "{largest} bytes");
    // The feed itself cannot be made: a Tensor of absurd shape needs its data.
    assert!(Tensor::from_f32(vec![1 << 40, 1 << 40], vec![]).is_err());
    assert!(Tensor::zeros(DType::F32, vec![usize::MAX, 2]).is_err());
}

#[test]
fn absurd_shapes_in_npy_and_checkpoints() {
    for shape in ["(1099511627776,)", "(4294967296, 4294967296)", "(18446744073709551615,)", "(-1,)"] {
        let npy = npy_with_header(&format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}"), &[0; 64]);
        let (r, largest) = largest_allocation(|| harness::npy(&npy));
        assert!(r.is_err(), "{shape}");
        assert!(largest < SMALL_ALLOC, "{shape}: {largest} bytes");
    }
    // Checkpoint entries: a huge shape, a huge size, an offset past the shard.
    let (mut t, data) = f32_entry("v", &[3], &[1.0, 2.0, 3.0], 0);
    let variants: Vec<(&str, Box<dyn Fn(&mut BundleEntryProto)>)> = vec![
        ("huge shape", Box::new(|e: &mut BundleEntryProto| e.shape = Some(shape(&[1 << 40, 1 << 40])))),
        ("overflowing shape", Box::new(|e: &mut BundleEntryProto| e.shape = Some(shape(&[1 << 62, 1 << 62, 1 << 62])))),
        ("negative dim", Box::new(|e: &mut BundleEntryProto| e.shape = Some(shape(&[-3])))),
        ("huge size", Box::new(|e: &mut BundleEntryProto| e.size = 1 << 50)),
        ("negative size", Box::new(|e: &mut BundleEntryProto| e.size = -12)),
        ("offset past the shard", Box::new(|e: &mut BundleEntryProto| e.offset = 1 << 40)),
        ("offset + size overflow", Box::new(|e: &mut BundleEntryProto| {
            e.offset = i64::MAX;
            e.size = i64::MAX
        })),
        ("shard out of range", Box::new(|e: &mut BundleEntryProto| e.shard_id = 7)),
    ];
    for (what, f) in variants {
        let mut e = t.entry.clone();
        f(&mut e);
        std::mem::swap(&mut t.entry, &mut e);
        let input = harness::join(&[b"", &checkpoint_index(std::slice::from_ref(&t)), &data]);
        std::mem::swap(&mut t.entry, &mut e);
        let (r, largest) = largest_allocation(|| harness::checkpoint(&input));
        assert!(largest < SMALL_ALLOC, "{what}: {largest} bytes");
        assert!(matches!(r, Err(_) | Ok(0)), "{what}: read");
    }
}

// --- huge attribute lists, deep graphs -------------------------------------------------------

#[test]
fn huge_attribute_lists_are_errors_quickly() {
    let start = std::time::Instant::now();
    let long: Vec<i64> = vec![1; 1 << 20];
    let x4 = || placeholder("x", F32, &[1, 4, 4, 1]);
    let w = || const_f32("w", &[1, 1, 1, 1], &[2.0]);
    let cases: Vec<(&str, Vec<wgtf::proto::NodeDef>)> = vec![
        ("Conv2D strides of 2^20 entries", vec![x4(), w(), node("y", "Conv2D", &["x", "w"], vec![
            ("T", ty(F32)), ("strides", ints(&long)), ("padding", attr(wgtf::proto::attr_value::Value::S(b"VALID".to_vec()))),
        ])]),
        ("MaxPool ksize of 2^20 entries", vec![x4(), node("y", "MaxPool", &["x"], vec![
            ("T", ty(F32)), ("ksize", ints(&long)), ("strides", ints(&[1, 1, 1, 1])),
            ("padding", attr(wgtf::proto::attr_value::Value::S(b"VALID".to_vec()))),
        ])]),
        ("Placeholder of rank 2^20", vec![
            node("x", "Placeholder", &[], vec![("dtype", ty(F32)), ("shape", shape_attr(&long))]),
            op("y", "Relu", &["x"]),
        ]),
        ("Squeeze dims of 2^20 entries", vec![x4(), node("y", "Squeeze", &["x"], vec![("T", ty(F32)), ("squeeze_dims", ints(&long))])]),
        ("Transpose by a permutation of 2^16 entries", vec![
            x4(),
            const_i32("p", &[1 << 16], &(0..1 << 16).collect::<Vec<i32>>()),
            node("y", "Transpose", &["x", "p"], vec![("T", ty(F32)), ("Tperm", ty(I32))]),
        ]),
        ("Reshape to rank 2^16", vec![
            x4(),
            const_i32("s", &[1 << 16], &vec![1; 1 << 16]),
            node("y", "Reshape", &["x", "s"], vec![("T", ty(F32)), ("Tshape", ty(I32))]),
        ]),
    ];
    for (what, nodes) in cases {
        let g = bytes(nodes);
        let t0 = std::time::Instant::now();
        let e = harness::graph_def(&g).err().unwrap_or_else(|| panic!("{what}: planned"));
        eprintln!("{what}: {e}");
        let x = Tensor::zeros(DType::F32, vec![1, 4, 4, 1]).unwrap();
        let r = load(&g).and_then(|m| m.run(&[("x", &x)], &["y"]));
        assert!(r.is_err(), "{what}: ran");
        assert!(t0.elapsed().as_secs() < 30, "{what}: took {:?}", t0.elapsed());
    }
    // A node with 100 000 attributes (unknown ones are ignored) still loads and runs.
    let mut n = op("y", "Relu", &["x"]);
    for i in 0..100_000 {
        n.attr.insert(format!("junk_{i}"), int(i));
    }
    let m = load(&bytes(vec![placeholder("x", F32, &[2]), n])).unwrap();
    let y = m.run(&[("x", &Tensor::from_f32(vec![2], vec![-1.0, 3.0]).unwrap())], &["y"]).unwrap();
    assert_eq!(f32s(&y[0]), [0.0, 3.0]);
    assert!(start.elapsed().as_secs() < 120, "took {:?}", start.elapsed());
}

#[test]
fn deep_graphs_and_recursive_functions_do_not_overflow_the_stack() {
    // A chain of 30 000 nodes: every pass over the graph must be iterative.
    let depth = 30_000;
    let mut nodes = vec![placeholder("x", F32, &[2])];
    for i in 0..depth {
        let prev = if i == 0 { "x".to_string() } else { format!("n{}", i - 1) };
        let o = if i % 2 == 0 { "Identity" } else { "Neg" };
        nodes.push(op(&format!("n{i}"), o, &[&prev]));
    }
    let g = bytes(nodes);
    // The test thread's stack is the default 2 MiB.
    harness::graph_def(&g).expect("a deep chain plans");
    let m = load(&g).unwrap();
    let y = m.run(&[("x", &Tensor::from_f32(vec![2], vec![1.0, -2.0]).unwrap())], &[&format!("n{}", depth - 1)]).unwrap();
    // depth / 2 negations: 15 000, even.
    assert_eq!(f32s(&y[0]), [1.0, -2.0]);

    // A function that calls itself.
    use wgtf::proto::{attr_value::Value, op_def::ArgDef, FunctionDef, FunctionDefLibrary, NameAttrList, OpDef};
    let arg = |n: &str| ArgDef { name: n.into(), r#type: F32, ..Default::default() };
    let rec = FunctionDef {
        signature: Some(OpDef { name: "rec".into(), input_arg: vec![arg("a")], output_arg: vec![arg("r")], ..Default::default() }),
        node_def: vec![node("c", "rec", &["a"], vec![])],
        ret: [("r".to_string(), "c:r:0".to_string())].into(),
        ..Default::default()
    };
    let mut call = node("call", "StatefulPartitionedCall", &["x"], vec![]);
    call.attr.insert("f".into(), attr(Value::Func(NameAttrList { name: "rec".into(), attr: Default::default() })));
    let gd = wgtf::proto::GraphDef {
        node: vec![placeholder("x", F32, &[2]), call, op("y", "Identity", &["call"])],
        library: Some(FunctionDefLibrary { function: vec![rec], gradient: vec![] }),
        ..Default::default()
    };
    let e = load(&gd.encode_to_vec()).err().expect("a recursive function loaded");
    assert!(e.to_string().contains("deeper"), "{e}");
    // Protobuf messages nested 10 000 deep (an attribute whose function's attribute is a
    // function…): the decoder's recursion limit refuses them before the stack runs out.
    fn field(out: &mut Vec<u8>, tag: u8, body: &[u8]) {
        out.push(tag);
        let mut l = body.len();
        while l >= 0x80 {
            out.push((l as u8) | 0x80);
            l >>= 7;
        }
        out.push(l as u8);
        out.extend_from_slice(body);
    }
    let mut av: Vec<u8> = Vec::new();
    for _ in 0..10_000 {
        let (mut entry, mut nal, mut next) = (Vec::new(), Vec::new(), Vec::new());
        field(&mut entry, 0x12, &av); // map entry: value (AttrValue)
        field(&mut nal, 0x12, &entry); // NameAttrList.attr
        field(&mut next, 0x52, &nal); // AttrValue.func
        av = next;
    }
    let (mut entry, mut nd, mut deep) = (Vec::new(), Vec::new(), Vec::new());
    field(&mut entry, 0x0a, b"k");
    field(&mut entry, 0x12, &av);
    field(&mut nd, 0x0a, b"n");
    field(&mut nd, 0x12, b"NoOp");
    field(&mut nd, 0x2a, &entry); // NodeDef.attr
    field(&mut deep, 0x0a, &nd); // GraphDef.node
    let e = load(&deep).err().expect("a 10 000-deep message loaded");
    assert!(matches!(e, Error::Decode { .. }), "{e}");
}

// --- NaN / Inf -------------------------------------------------------------------------------

const NAN: f32 = f32::NAN;
const INF: f32 = f32::INFINITY;

/// Same floats, NaN equal to NaN, and signs of infinities and zeros kept (within 1e-5 otherwise).
fn same(got: &[f32], want: &[f32]) -> bool {
    got.len() == want.len()
        && got.iter().zip(want).all(|(g, w)| {
            (g.is_nan() && w.is_nan()) || (g.is_infinite() && g == w) || (g.is_finite() && w.is_finite() && (g - w).abs() <= 1e-5 * (1.0 + w.abs()))
        })
}

#[test]
fn nan_and_inf_feeds_give_tensorflows_results() {
    // Expected values: TensorFlow 2.21 (CPU) on the same feeds.
    let x = [NAN, INF, -INF, 1.0, -2.0, 0.0];
    let y = [1.0, -INF, -INF, NAN, 0.0, 0.0];
    let unary: &[(&str, [f32; 6])] = &[
        ("Relu", [NAN, INF, 0.0, 1.0, 0.0, 0.0]),
        ("Relu6", [NAN, 6.0, 0.0, 1.0, 0.0, 0.0]),
        ("Sigmoid", [NAN, 1.0, 0.0, 0.7310586, 0.11920292, 0.5]),
        ("Tanh", [NAN, 1.0, -1.0, 0.7615942, -0.9640276, 0.0]),
        ("Exp", [NAN, INF, 0.0, 2.7182817, 0.13533528, 1.0]),
        ("Sqrt", [NAN, INF, NAN, 1.0, NAN, 0.0]),
        ("Log", [NAN, INF, NAN, 0.0, NAN, -INF]),
        ("Abs", [NAN, INF, INF, 1.0, 2.0, 0.0]),
        ("Neg", [NAN, -INF, INF, -1.0, 2.0, -0.0]),
        ("Square", [NAN, INF, INF, 1.0, 4.0, 0.0]),
        ("Floor", [NAN, INF, -INF, 1.0, -2.0, 0.0]),
    ];
    let binary: &[(&str, [f32; 6])] = &[
        ("AddV2", [NAN, NAN, -INF, NAN, -2.0, 0.0]),
        ("Mul", [NAN, -INF, INF, NAN, -0.0, 0.0]),
        ("Sub", [NAN, INF, NAN, NAN, -2.0, 0.0]),
        ("RealDiv", [NAN, NAN, NAN, NAN, -INF, NAN]),
        ("Maximum", [NAN, INF, -INF, NAN, 0.0, 0.0]),
        ("Minimum", [NAN, -INF, -INF, NAN, -2.0, 0.0]),
    ];
    let mut nodes = vec![placeholder("x", F32, &[6]), placeholder("z", F32, &[6])];
    let mut fetches = Vec::new();
    for (o, _) in unary {
        nodes.push(op(&format!("u_{o}"), o, &["x"]));
        fetches.push(format!("u_{o}"));
    }
    for (o, _) in binary {
        nodes.push(op(&format!("b_{o}"), o, &["x", "z"]));
        fetches.push(format!("b_{o}"));
    }
    // Reductions, softmax and matmul over the same values.
    nodes.push(const_i32("ax", &[1], &[0]));
    for r in ["Sum", "Max", "Min", "Mean"] {
        nodes.push(node(&format!("r_{r}"), r, &["x", "ax"], vec![("T", ty(F32)), ("Tidx", ty(I32)), ("keep_dims", bool_attr(false))]));
        fetches.push(format!("r_{r}"));
    }
    nodes.push(const_i32("s23", &[2], &[2, 3]));
    nodes.push(node("x23", "Reshape", &["x", "s23"], vec![("T", ty(F32)), ("Tshape", ty(I32))]));
    nodes.push(op("softmax", "Softmax", &["x23"]));
    nodes.push(const_f32("ones", &[3, 2], &[1.0; 6]));
    nodes.push(node("mm", "MatMul", &["x23", "ones"], vec![("T", ty(F32)), ("transpose_a", bool_attr(false)), ("transpose_b", bool_attr(false))]));
    nodes.push(op("gt", "Greater", &["x", "z"]));
    nodes.push(op("eq", "Equal", &["x", "x"]));
    fetches.extend(["softmax", "mm", "gt", "eq"].map(String::from));
    let m = load(&bytes(nodes)).unwrap();
    let xt = Tensor::from_f32(vec![6], x.to_vec()).unwrap();
    let zt = Tensor::from_f32(vec![6], y.to_vec()).unwrap();
    let names: Vec<&str> = fetches.iter().map(|s| s.as_str()).collect();
    let out = m.run(&[("x", &xt), ("z", &zt)], &names).unwrap();
    let mut bad = Vec::new();
    let mut check = |name: &str, got: &Tensor, want: &[f32]| {
        let g = f32s(got);
        if !same(&g, want) {
            bad.push(format!("{name}: got {g:?}, TensorFlow gives {want:?}"));
        }
    };
    let mut k = 0;
    for (o, want) in unary.iter().chain(binary) {
        check(o, &out[k], want);
        k += 1;
    }
    for want in [NAN, NAN, NAN, NAN] {
        check(&fetches[k], &out[k], &[want]);
        k += 1;
    }
    let e = [1.0f32, -2.0, 0.0].map(f32::exp);
    let s: f32 = e.iter().sum();
    check("Softmax", &out[k], &[NAN, NAN, NAN, e[0] / s, e[1] / s, e[2] / s]);
    check("MatMul", &out[k + 1], &[NAN, NAN, -1.0, -1.0]);
    assert_eq!(out[k + 2].to_i64_vec().unwrap(), [0, 1, 0, 0, 0, 0], "Greater");
    assert_eq!(out[k + 3].to_i64_vec().unwrap(), [0, 1, 1, 1, 1, 1], "Equal (NaN != NaN)");
    assert!(bad.is_empty(), "NaN/Inf results differ from TensorFlow's:\n{}", bad.join("\n"));
    // Integer Max/Min reductions and Maximum share those kernels (T = i32): values whose bits
    // would be a float NaN are ordinary integers there.
    let g = bytes(vec![
        placeholder("i", I32, &[4]),
        const_i32("ax", &[1], &[0]),
        node("mx", "Max", &["i", "ax"], vec![("T", ty(I32)), ("Tidx", ty(I32)), ("keep_dims", bool_attr(false))]),
        node("mn", "Min", &["i", "ax"], vec![("T", ty(I32)), ("Tidx", ty(I32)), ("keep_dims", bool_attr(false))]),
        node("m2", "Maximum", &["i", "i"], vec![("T", ty(I32))]),
    ]);
    let m = load(&g).unwrap();
    let big = 0x7fc0_0001; // the bits of a float NaN
    let it = Tensor::from_i32(vec![4], vec![3, big, -big, 0]).unwrap();
    let out = m.run(&[("i", &it)], &["mx", "mn", "m2"]).unwrap();
    assert_eq!(out[0].to_i64_vec().unwrap(), [big as i64]);
    assert_eq!(out[1].to_i64_vec().unwrap(), [-big as i64]);
    assert_eq!(out[2].to_i64_vec().unwrap(), [3, big as i64, -big as i64, 0]);
    // A reduction without NaN keeps infinities.
    let g = bytes(vec![placeholder("x", F32, &[5]), const_i32("ax", &[1], &[0]),
        node("y", "Max", &["x", "ax"], vec![("T", ty(F32)), ("Tidx", ty(I32)), ("keep_dims", bool_attr(false))])]);
    let m = load(&g).unwrap();
    let y = m.run(&[("x", &Tensor::from_f32(vec![5], x[1..].to_vec()).unwrap())], &["y"]).unwrap();
    assert_eq!(f32s(&y[0]), [INF]);
}

// --- feeds and names -------------------------------------------------------------------------

#[test]
fn wrong_feed_shapes_and_dtypes_are_errors() {
    let m = load(&relu_model()).unwrap();
    let bad: Vec<(&str, Tensor)> = vec![
        ("wrong inner dim", Tensor::from_f32(vec![2, 4], vec![0.0; 8]).unwrap()),
        ("wrong rank", Tensor::from_f32(vec![3], vec![0.0; 3]).unwrap()),
        ("scalar", Tensor::scalar_f32(1.0)),
        ("int32", Tensor::from_i32(vec![1, 3], vec![1, 2, 3]).unwrap()),
        ("bool", Tensor::from_bool(vec![1, 3], vec![true; 3]).unwrap()),
        ("int64", Tensor::from_i64(vec![1, 3], vec![1; 3]).unwrap()),
    ];
    for (what, t) in &bad {
        let e = m.run(&[("x", t)], &["y"]).err().unwrap_or_else(|| panic!("{what}: ran"));
        assert!(matches!(e, Error::Feed { ref name, .. } if name == "x:0"), "{what}: {e}");
    }
    let ok = Tensor::from_f32(vec![1, 3], vec![-1.0, 0.5, 2.0]).unwrap();
    let e = m.run(&[("x", &ok), ("x:0", &ok)], &["y"]).unwrap_err();
    assert!(matches!(e, Error::Feed { .. }) && e.to_string().contains("twice"), "{e}");
    // A missing feed.
    let e = m.run(&[], &["y"]).unwrap_err();
    assert!(e.to_string().contains('x'), "{e}");
    // The model still runs after all that.
    assert_eq!(f32s(&m.run(&[("x", &ok)], &["y"]).unwrap()[0]), [0.0, 0.5, 2.0]);
    // A string feed, into a graph that takes any dtype.
    let g = bytes(vec![node("x", "Placeholder", &[], vec![]), op("y", "Relu", &["x"])]);
    let m = load(&g).unwrap();
    let s = Tensor::new(DType::String, vec![1], wgtf::tensor::Data::Str(vec![b"a".to_vec()])).unwrap();
    assert!(m.run(&[("x", &s)], &["y"]).is_err());
}

#[test]
fn unknown_tensor_names_are_errors() {
    let m = load(&relu_model()).unwrap();
    let x = Tensor::from_f32(vec![1, 3], vec![1.0, 2.0, 3.0]).unwrap();
    let e = m.run(&[("x", &x)], &["nope:0"]).unwrap_err();
    assert!(matches!(e, Error::UnknownTensor(ref n) if n.contains("nope")), "{e}");
    let e = m.run(&[("ghost", &x)], &["y"]).unwrap_err();
    assert!(matches!(e, Error::UnknownTensor(ref n) if n.contains("ghost")), "{e}");
    let e = m.run(&[("x", &x)], &["y:3"]).unwrap_err();
    assert!(e.to_string().contains("y:3"), "{e}");
    for bad in ["", ":0", "y:", "y:x", "y:-1", "y:1:2"] {
        assert!(m.run(&[("x", &x)], &[bad]).is_err(), "fetch '{bad}' ran");
    }
    assert_eq!(f32s(&m.run(&[("x", &x)], &["y"]).unwrap()[0]), [1.0, 2.0, 3.0]);
}

#[test]
fn unsupported_ops_are_all_listed_in_one_error() {
    let g = bytes(vec![
        placeholder("x", F32, &[2]),
        op("a", "FrobnicateV7", &["x"]),
        op("b", "FrobnicateV7", &["a"]),
        op("c", "Relu", &["b"]),
        op("d", "Quux", &["c"]),
        op("e", "FrobnicateV7", &["x"]),
        op("y", "AddV2", &["d", "e"]),
    ]);
    let e = load(&g).err().expect("unsupported ops loaded");
    let Error::Unsupported(list) = &e else { panic!("expected Unsupported, got {e}") };
    let mut names: Vec<&str> = list.iter().map(|u| u.node.as_str()).collect();
    names.sort();
    assert_eq!(names, ["a", "b", "d", "e"]);
    let msg = e.to_string();
    for part in ["FrobnicateV7", "Quux", "a", "b", "d", "e"] {
        assert!(msg.contains(part), "{msg}");
    }
    assert!(harness::graph_def(&g).is_err());
}

#[test]
fn unsupported_attribute_values_are_listed_at_load_with_unsupported_ops() {
    use wgtf::proto::attr_value::{ListValue, Value};
    use wgtf::proto::AttrValue;
    let s = |v: &str| AttrValue { value: Some(Value::S(v.as_bytes().to_vec())) };
    let strs = |v: &[&str]| AttrValue { value: Some(Value::List(ListValue { s: v.iter().map(|x| x.as_bytes().to_vec()).collect(), ..Default::default() })) };
    let conv = |name: &str, x: &str, padding: &str, fmt: &str| {
        node(name, "Conv2D", &[x, "w"], vec![("strides", ints(&[1, 1, 1, 1])), ("padding", s(padding)), ("data_format", s(fmt))])
    };
    let g = bytes(vec![
        placeholder("x", F32, &[1, 4, 4, 1]),
        const_f32("w", &[1, 1, 1, 1], &[2.0]),
        const_f32("b", &[1], &[0.5]),
        node("f", "_FusedConv2D", &["x", "w", "b"], vec![("strides", ints(&[1, 1, 1, 1])), ("padding", s("SAME")), ("fused_ops", strs(&["BiasAdd", "Mish"])), ("num_args", AttrValue { value: Some(Value::I(1)) })]),
        conv("p", "f", "CIRCULAR", "NHWC"),
        conv("d", "p", "SAME", "NCDHW4"),
        node("m", "MirrorPad", &["d", "w"], vec![("mode", s("WRAP"))]),
        // Built ops decode their attributes at load: a pool's ksize, a product's transposes.
        node("q", "MaxPool", &["m"], vec![("ksize", ints(&[1, 2, 2])), ("strides", ints(&[1, 1, 1, 1])), ("padding", s("SAME"))]),
        node("t", "MatMul", &["q", "w"], vec![("transpose_a", s("yes"))]),
        op("y", "FrobnicateV7", &["t"]),
    ]);
    let e = load(&g).err().expect("a model with unsupported attributes loaded");
    let Error::Unsupported(list) = &e else { panic!("expected Unsupported, got {e}") };
    let mut got: Vec<(&str, bool)> = list.iter().map(|u| (u.node.as_str(), u.what.is_some())).collect();
    got.sort();
    assert_eq!(got, [("d", true), ("f", true), ("m", true), ("p", true), ("q", true), ("t", true), ("y", false)]);
    let msg = e.to_string();
    for part in ["Mish", "CIRCULAR", "NCDHW4", "WRAP", "FrobnicateV7", "ksize", "transpose_a"] {
        assert!(msg.contains(part), "{msg}");
    }
}

#[test]
fn bad_attributes_of_reduce_array_image_and_linalg_ops_are_listed_at_load() {
    use wgtf::proto::attr_value::Value;
    use wgtf::proto::AttrValue;
    let s = |v: &str| AttrValue { value: Some(Value::S(v.as_bytes().to_vec())) };
    // Each of these ops decodes its attributes when the model is loaded: a keep_dims that is no
    // bool, a mask that is no int, an equation that does not parse, flags that contradict.
    let g = bytes(vec![
        placeholder("x", F32, &[1, 4, 4, 1]),
        const_i32("ax", &[1], &[1]),
        const_i32("b", &[4], &[0, 0, 0, 0]),
        const_i32("st", &[4], &[1, 1, 1, 1]),
        const_i32("size", &[2], &[8, 8]),
        node("mean", "Mean", &["x", "ax"], vec![("T", ty(F32)), ("keep_dims", s("yes"))]),
        node("ss", "StridedSlice", &["mean", "b", "b", "st"], vec![("T", ty(F32)), ("begin_mask", s("all"))]),
        node("es", "Einsum", &["ss"], vec![("T", ty(F32)), ("equation", s("ab..c->ba"))]),
        node("rs", "ResizeBilinear", &["es", "size"], vec![("T", ty(F32)), ("align_corners", bool_attr(true)), ("half_pixel_centers", bool_attr(true))]),
        node("cs", "Cumsum", &["rs", "ax"], vec![("T", ty(F32)), ("exclusive", int(1))]),
        op("y", "FrobnicateV7", &["cs"]),
    ]);
    let e = load(&g).err().expect("a model with bad attributes loaded");
    let Error::Unsupported(list) = &e else { panic!("expected Unsupported, got {e}") };
    let mut got: Vec<(&str, bool)> = list.iter().map(|u| (u.node.as_str(), u.what.is_some())).collect();
    got.sort();
    assert_eq!(got, [("cs", true), ("es", true), ("mean", true), ("rs", true), ("ss", true), ("y", false)]);
    let msg = e.to_string();
    for part in ["keep_dims", "begin_mask", "malformed ellipsis", "half_pixel_centers", "exclusive", "FrobnicateV7"] {
        assert!(msg.contains(part), "{msg}");
    }
}

// --- crashes found by the fuzzers and the tests above, as named regressions --------------------

#[test]
fn crashes_found_while_fuzzing_are_errors() {
    let x = Tensor::from_f32(vec![2], vec![1.0, 2.0]).unwrap();
    // A binary op with one input, all inputs constant: its fold read input 1 (index out of
    // bounds). `infer` now checks the inputs before any fold.
    let g = bytes(vec![const_f32("c", &[2], &[1.0, 2.0]), op("y", "AddV2", &["c"])]);
    assert!(harness::graph_def(&g).is_err());
    let e = load(&g).and_then(|m| m.run(&[], &["y"])).err().expect("AddV2 of one input ran");
    assert!(matches!(e, Error::Node { .. }), "{e}");
    // TensorListStack without inputs read input 0 (fuzz/regressions/graph_ops).
    let g = bytes(vec![placeholder("x", F32, &[2]), node("y", "TensorListStack", &[], vec![("element_dtype", ty(F32))])]);
    let _ = harness::graph_def(&g); // plans "x" alone: what matters is that "y" does not panic
    let e = load(&g).and_then(|m| m.run(&[("x", &x)], &["y"])).err().expect("TensorListStack of nothing ran");
    assert!(e.to_string().contains("inputs"), "{e}");
    // A reduction of a scalar over axis 0: the fold indexed the scalar's (empty) shape
    // (fuzz/regressions/graph_ops/crash-reduce-scalar-axis0).
    let g = bytes(vec![
        const_f32("c", &[], &[3.0]),
        const_i32("ax", &[], &[0]),
        node("y", "Sum", &["c", "ax"], vec![("T", ty(F32)), ("Tidx", ty(I32)), ("keep_dims", bool_attr(false))]),
    ]);
    assert!(harness::graph_def(&g).is_err());
    let e = load(&g).and_then(|m| m.run(&[], &["y"])).err().expect("Sum of a scalar over axis 0 ran");
    assert!(e.to_string().contains("scalar"), "{e}");
    // ConcatV2 of scalars on axis 0: `infer` indexed the scalar's (empty) shape
    // (fuzz/regressions/graph_ops/crash-concat-scalar-axis0, found with the int64/windows
    // planning target of 2026-12-02).
    let g = bytes(vec![
        const_f32("a", &[], &[1.0]),
        const_f32("b", &[], &[2.0]),
        const_i32("ax", &[], &[0]),
        node("y", "ConcatV2", &["a", "b", "ax"], vec![("T", ty(F32)), ("N", int(2)), ("Tidx", ty(I32))]),
    ]);
    assert!(harness::graph_def(&g).is_err());
    let e = load(&g).and_then(|m| m.run(&[], &["y"])).err().expect("ConcatV2 of scalars ran");
    assert!(e.to_string().contains("concatenate"), "{e}");
    // OneHot of depth 2^31 - 1 from constants: folding allocated 32 GiB (abort). Folds of more
    // than MAX_FOLD_ELEMENTS outputs are left to the GPU, which refuses the tensor.
    let g = bytes(vec![
        const_i32("i", &[2], &[0, 1]),
        const_i32("depth", &[], &[i32::MAX]),
        const_f32("on", &[], &[1.0]),
        const_f32("off", &[], &[0.0]),
        node("y", "OneHot", &["i", "depth", "on", "off"], vec![("T", ty(F32)), ("TI", ty(I32)), ("axis", int(-1))]),
    ]);
    let (r, largest) = largest_allocation(|| load(&g).and_then(|m| m.run(&[], &["y"])));
    assert!(matches!(r, Err(Error::OutOfMemory(_))), "{:?}", r.map(|_| ()));
    assert!(largest < SMALL_ALLOC, "{largest} bytes");
    // An .npy header nesting 50 braces: npyz's parser took exponential time (a hang found by
    // fuzzing, fuzz/regressions/npy/timeout-nested-braces).
    let deep = npy_with_header(&format!("{{'descr': '<f4', 'fortran_order': False, 'shape': (1,{} 3), }}", "{".repeat(50)), &[0; 4]);
    let t0 = std::time::Instant::now();
    assert!(harness::npy(&deep).unwrap_err().contains("nests"));
    assert!(t0.elapsed().as_secs() < 2, "took {:?}", t0.elapsed());
    // An .npy v3 header declaring a 660 MB header in a 76-byte file (fuzz/regressions/npy).
    let mut npy = b"\x93NUMPY\x03\x00".to_vec();
    npy.extend_from_slice(&0x2a00_0000u32.to_le_bytes());
    npy.extend_from_slice(b"{'descr': '<f4'}");
    let (r, largest) = largest_allocation(|| harness::npy(&npy));
    assert!(r.unwrap_err().contains("header declares"));
    assert!(largest < SMALL_ALLOC, "{largest} bytes");
}

// --- fuzz corpora and regressions ------------------------------------------------------------

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect()).unwrap_or_default();
    v.sort();
    v
}

/// The seeds of the `serve_request` target are requests the server takes: each decodes.
#[test]
fn serve_request_seeds_decode() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/serve_request");
    let seeds = files(&dir);
    assert!(seeds.len() >= 5, "{}", dir.display());
    for f in seeds {
        let n = harness::serve_request(&std::fs::read(&f).unwrap());
        assert!(n > 0, "{} decodes no feed", f.display());
    }
}

/// Every seed and every input that once crashed a fuzz target goes through the same harness:
/// a panic fails this test.
#[test]
fn fuzz_corpora_and_crash_regressions_replay_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut n = 0;
    for sub in ["corpus", "regressions"] {
        for target in ["graph_def", "graph_ops", "checkpoint", "checkpoint_entries", "saved_model", "tfjs", "npy", "serve_request"] {
            for f in files(&root.join(sub).join(target)) {
                let data = std::fs::read(&f).unwrap();
                let (_, largest) = largest_allocation(|| match target {
                    "graph_def" => drop(harness::graph_def(&data)),
                    "graph_ops" => drop(harness::graph_ops(&data)),
                    "checkpoint" => drop(harness::checkpoint(&data)),
                    "checkpoint_entries" => drop(harness::checkpoint_entries(&data)),
                    "saved_model" => drop(harness::saved_model(&data)),
                    "tfjs" => drop(harness::tfjs(&data)),
                    "serve_request" => drop(harness::serve_request(&data)),
                    _ => drop(harness::npy(&data)),
                });
                assert!(largest < 256 << 20, "{}: {largest} bytes allocated at once", f.display());
                n += 1;
            }
        }
    }
    assert!(n >= 10, "only {n} fuzz inputs found under {}", root.display());
}
