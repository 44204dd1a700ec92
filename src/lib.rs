//! # wgtf — TensorFlow models on any GPU, through wgpu
//!
//! Load a TensorFlow model (a frozen GraphDef `.pb`), and run it on the GPU with WGSL compute
//! shaders: Vulkan, Metal, DX12 — no Python, CUDA or TensorFlow needed.
//!
//! ```no_run
//! let ctx = wgtf::Context::new()?;
//! let model = ctx.load("model.pb")?;
//! let x = wgtf::Tensor::from_f32(vec![1, 4], vec![1.0, 2.0, 3.0, 4.0])?;
//! let y = model.run(&[("x:0", &x)], &["y:0"])?;
//! println!("{:?}", y[0].to_f32_vec()?);
//! # Ok::<(), wgtf::Error>(())
//! ```
//!
//! The pipeline follows the data; each layer uses only those above it in this list
//! (`tests/layers.rs` checks it), and [`error`], [`tensor`], [`proto`], [`shaders`] are leaf
//! utilities any layer may use.

// Leaf utilities.
pub mod error;
pub mod proto;
pub mod shaders;
pub mod tensor;

/// The IR: graphs, nodes, typed attributes, functions, graph edits, lists of op names.
pub mod graph;
/// Bytes to a graph: GraphDef, meta graphs, checkpoints, SavedModels, TF.js; load options.
pub mod import;
/// Kernels as plain data: programs, tensors, steps, the memory plan, shader variants, meta.
pub mod kernel;
/// The op registry: one file per op (shape rule, CPU fold, lowering to kernels).
pub mod ops;
/// Graph to programs: the load pipeline (normalise, check, fold, fuse) and the planner.
pub mod lower;
/// The only code that touches wgpu: device, model, plan execution, profiling, stats.
pub mod runtime;

// The application layer.
#[cfg(not(target_arch = "wasm32"))]
pub mod bench;
pub mod image;
/// `wgtf serve` (feature `serve`, on by default; not in wasm32 builds).
#[cfg(all(feature = "serve", not(target_arch = "wasm32")))]
pub mod serve;

pub use error::{Error, Result, Unsupported};
#[cfg(not(target_arch = "wasm32"))]
pub use runtime::context::list_adapters;
pub use runtime::context::{AdapterSummary, Context, ContextOptions};
pub use import::{LoadOptions, Precision};
pub use kernel::{DepthwiseChoice, GemmChoice};
pub use runtime::tune::{DepthwiseDecision, DepthwiseSetting, GemmDecision, GemmSetting, GemmSource, Source};
pub use runtime::model::{InputInfo, Model, Runner};
pub use runtime::stats::{MemoryReport, ModelStats, PlanSummary};
pub use tensor::{DType, Tensor};
/// The wgpu this build uses (for `Context::from_device`, `ContextOptions`, `Model::run_into`).
pub use wgpu;
