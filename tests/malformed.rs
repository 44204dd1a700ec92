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

/// A checkpoint of two float tensors: (index, data).
fn small_checkpoint() -> (Vec<u8>, Vec<u8>) {
    let (a, mut data) = f32_entry("dense/kernel", &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 0);
    let (b, d2) = f32_entry("dense/bias", &[3], &[0.5, -0.5, 0.25], data.len());
    data.extend(d2);
    (checkpoint_index(&[a, b]), data)
}

/// An .npy file (version 1.0) with this header dict and data.
fn npy_with_header(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut h = dict.to_string();
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out
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
