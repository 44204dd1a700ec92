//! The runtime: the only part of wgtf that talks to wgpu.
pub mod context;
pub mod model;
pub mod plan;
pub mod platform;
pub mod stats;
pub mod tune;
