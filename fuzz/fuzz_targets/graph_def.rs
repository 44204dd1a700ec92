//! A GraphDef: decoded, imported and planned (CPU only).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let _ = common::graph_def(data);
});
