//! A checkpoint (state file, .index, one data shard; see common::checkpoint): opened, every tensor read.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let _ = common::checkpoint(data);
});
