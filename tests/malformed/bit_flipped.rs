//! Bit-flipped.
use super::*;


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
