//! What differs between native adapters and browsers (WebGPU through WebAssembly), in one place.
//! A run is asynchronous at its core: it awaits its readbacks. Natively the device is polled
//! until the GPU is done (blocking), after which the awaited callbacks have fired; in a browser
//! nothing may block, and the browser's event loop completes them. The blocking API (`run`,
//! `Context::new`) is a thin wrapper that drives the async one with `pollster`, natively only.
use crate::error::{Error, Result};

/// Runs a future to completion on this thread (native only: browsers cannot block).
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

/// An error scope around creation calls (pipelines, buffers, bind groups) that cannot await:
/// natively its error is waited for ([`Scope::error`]); in a browser no scope is pushed, and an
/// error goes to the device's uncaptured-error handler (the context keeps the first one to name
/// the cause when a run then fails).
pub(crate) struct Scope(#[cfg(not(target_arch = "wasm32"))] wgpu::ErrorScopeGuard);

impl Scope {
    pub fn push(device: &wgpu::Device, filter: wgpu::ErrorFilter) -> Scope {
        #[cfg(not(target_arch = "wasm32"))]
        {
            Scope(device.push_error_scope(filter))
        }
        #[cfg(target_arch = "wasm32")]
        {
            let _ = (device, filter);
            Scope()
        }
    }
    /// The error the scope caught (natively).
    pub fn error(self) -> Option<wgpu::Error> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            pollster::block_on(self.0.pop())
        }
        #[cfg(target_arch = "wasm32")]
        {
            None
        }
    }
}

/// Maps `bufs` for reading once `index` is done and awaits them: the result of each mapping.
pub(crate) async fn map_read(ctx: &super::context::Context, bufs: &[&wgpu::Buffer], index: wgpu::SubmissionIndex) -> Result<Vec<bool>> {
    let mut waits = Vec::with_capacity(bufs.len());
    for b in bufs {
        let (tx, rx) = futures_channel::oneshot::channel();
        b.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r.is_ok());
        });
        waits.push(rx);
    }
    #[cfg(not(target_arch = "wasm32"))]
    ctx.device()
        .poll(wgpu::PollType::Wait { submission_index: Some(index), timeout: None })
        .map_err(|e| Error::Device(format!("waiting for the GPU: {e}")))?;
    #[cfg(target_arch = "wasm32")]
    let _ = index;
    let mut out = Vec::with_capacity(waits.len());
    for w in waits {
        out.push(w.await.map_err(|_| Error::Device("a readback never completed".into()))?);
    }
    ctx.check_alive()?;
    Ok(out)
}
