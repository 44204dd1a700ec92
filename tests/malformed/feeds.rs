//! Feeds and names.
use super::*;


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
