//! A checkpoint with a valid index table of fuzzed entries (see common::checkpoint_entries):
//! opened, every tensor read.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let _ = common::checkpoint_entries(data);
});
