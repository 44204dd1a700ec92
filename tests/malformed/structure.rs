//! Cyclic, dangling, duplicate.
use super::*;


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
