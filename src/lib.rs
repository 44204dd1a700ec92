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
//! The pipeline follows the data: [`proto`] → [`import`] → [`graph`] → [`lower`] (shape
//! inference, constant folding, kernels as plain data) → [`runtime`] (device, buffers, runs).
#[cfg(not(target_arch = "wasm32"))]
pub mod bench;
pub mod error;
pub mod graph;
pub mod image;
pub mod import;
pub mod lower;
pub mod ops;
pub mod proto;
pub mod runtime;
/// `wgtf serve` (feature `serve`, on by default; not in wasm32 builds).
#[cfg(all(feature = "serve", not(target_arch = "wasm32")))]
pub mod serve;
pub mod shaders;
pub mod tensor;

pub use error::{Error, Result, Unsupported};
#[cfg(not(target_arch = "wasm32"))]
pub use runtime::context::list_adapters;
pub use runtime::context::{AdapterSummary, Context, ContextOptions};
pub use runtime::model::{InputInfo, LoadOptions, MemoryReport, Model, ModelStats, PlanSummary, Runner};
pub use tensor::{DType, Tensor};
/// The wgpu this build uses (for `Context::from_device`, `ContextOptions`, `Model::run_into`).
pub use wgpu;
