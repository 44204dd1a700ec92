//! Huge attribute lists, deep graphs.
use super::*;


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
