//! Absurd shapes.
use super::*;


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
