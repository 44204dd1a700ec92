//! A SavedModel directory (saved_model.pb and its variables; see common::saved_model): loaded and planned.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let _ = common::saved_model(data);
});
