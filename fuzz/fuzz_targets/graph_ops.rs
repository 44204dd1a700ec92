//! A graph of registered ops built from the bytes (see common::graph_ops): imported and planned.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let _ = common::graph_ops(data);
});
