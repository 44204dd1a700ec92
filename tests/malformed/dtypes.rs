//! Wrong dtype.
use super::*;


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
