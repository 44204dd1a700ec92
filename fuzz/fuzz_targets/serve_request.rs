//! A `wgtf serve` request body (see common::serve_request): decoded as TensorFlow Serving's
//! `:predict` and KServe's `infer`, every feed checked against its input and written back.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let _ = common::serve_request(data);
});
