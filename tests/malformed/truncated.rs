//! Truncated.
use super::*;


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
