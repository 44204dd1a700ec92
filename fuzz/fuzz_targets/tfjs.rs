//! A TensorFlow.js graph model (model.json and its weight shards; see common::tfjs): decoded,
//! imported and planned.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let _ = common::tfjs(data);
});
