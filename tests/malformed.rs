//! The malformed-input corpus (issue 9): every kind of bad model, checkpoint, `.npy` or feed
//! gives a typed error — never a panic, a hang or a huge allocation — and NaN/Inf feeds give
//! TensorFlow's results. Also replays the fuzz corpora and every input a fuzzer found crashing
//! (fuzz/regressions/), through the same harness as the fuzz targets (fuzz/common.rs).
mod common;
mod hardening;

#[path = "../fuzz/common.rs"]
mod harness;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

use hardening::*;
use prost::Message;
use wgtf::proto::{BundleEntryProto, TensorProto};
use wgtf::{DType, Error, LoadOptions, Tensor};

// ---------------------------------------------------------------------------------------------
// The largest single allocation made by this thread, to check that absurd declared sizes are
// refused before anything is allocated (an allocation that the OS overcommits would otherwise
// go unnoticed).

struct Tracking;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|m| {
        if size > m.get() {
            m.set(size)
        }
    });
}

unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        note(l.size());
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        note(l.size());
        System.alloc_zeroed(l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        note(new);
        System.realloc(p, l, new)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
}

#[global_allocator]
static GLOBAL: Tracking = Tracking;

/// Runs `f` and returns its result with the largest single allocation it made on this thread.
fn largest_allocation<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LARGEST.with(|m| m.set(0));
    let r = f();
    (r, LARGEST.with(|m| m.get()))
}

/// No single allocation while refusing an absurd size may exceed this.
const SMALL_ALLOC: usize = 64 << 20;

// ---------------------------------------------------------------------------------------------

fn fixture(case: &str, file: &str) -> Vec<u8> {
    std::fs::read(common::fixtures_dir().join(case).join(file)).unwrap()
}

fn load(bytes: &[u8]) -> wgtf::Result<wgtf::Model> {
    thread_local! {
        static CTX: wgtf::Context = common::context();
    }
    CTX.with(|c| c.load_graph_def(bytes, &LoadOptions::default()))
}

fn f32s(t: &Tensor) -> Vec<f32> {
    t.to_f32_vec().unwrap()
}

/// `x[?, 3]` → Relu → y: the model the feed tests use.
fn relu_model() -> Vec<u8> {
    bytes(vec![placeholder("x", F32, &[-1, 3]), op("y", "Relu", &["x"])])
}

#[path = "malformed/truncated.rs"]
mod truncated;
#[path = "malformed/bit_flipped.rs"]
mod bit_flipped;
#[path = "malformed/dtypes.rs"]
mod dtypes;
#[path = "malformed/structure.rs"]
mod structure;
#[path = "malformed/shapes.rs"]
mod shapes;
#[path = "malformed/attributes.rs"]
mod attributes;
#[path = "malformed/nan_inf.rs"]
mod nan_inf;
#[path = "malformed/feeds.rs"]
mod feeds;
#[allow(unused_imports)]
use truncated::*;
#[allow(unused_imports)]
use bit_flipped::*;
#[allow(unused_imports)]
use dtypes::*;
#[allow(unused_imports)]
use structure::*;
#[allow(unused_imports)]
use shapes::*;
#[allow(unused_imports)]
use attributes::*;
#[allow(unused_imports)]
use nan_inf::*;
#[allow(unused_imports)]
use feeds::*;
