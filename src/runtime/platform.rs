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

/// The error an error scope caught, for the calls that cannot await (pipeline, buffer and bind
/// group creation). In a browser the scope is left to the device's uncaptured-error handler.
pub(crate) fn scope_error(scope: wgpu::ErrorScopeGuard) -> Option<wgpu::Error> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        pollster::block_on(scope.pop())
    }
    #[cfg(target_arch = "wasm32")]
    {
        drop(scope);
        None
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
