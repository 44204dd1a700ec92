//! What a device can hold and dispatch, checked before a plan allocates anything.
use crate::error::{Error, Result};
use crate::kernel::Program;

/// Whether the device can run a program at all: every tensor must fit in one buffer, every
/// binding in one storage binding (kernels that split large tensors bind windows of them), and
/// every dispatch within the workgroup limits.
/// Checked when planning, before anything is allocated, with errors that name the tensor or
/// node (a huge declared or fed shape ends here).
pub(super) fn check_limits(l: &wgpu::Limits, prog: &Program) -> Result<()> {
    let max_bind = (l.max_storage_buffer_binding_size as u64).min(l.max_buffer_size);
    if let Some(t) = prog.tensors.iter().find(|t| t.bytes() > l.max_buffer_size) {
        return Err(Error::OutOfMemory(format!(
            "tensor '{}' of shape {:?} needs {} bytes; this device's buffers hold at most {} bytes (max_buffer_size)",
            t.name,
            t.shape,
            t.bytes(),
            l.max_buffer_size
        )));
    }
    for k in &prog.kernels {
        if let Some(t) = k.bindings.iter().map(|b| &prog.tensors[b.id()]).find(|t| t.bytes() > max_bind) {
            return Err(Error::OutOfMemory(format!(
                "tensor '{}' of shape {:?} needs {} bytes; this device binds at most {max_bind} bytes per tensor \
                 (max_storage_buffer_binding_size), and node '{}' ({}) cannot split it",
                t.name,
                t.shape,
                t.bytes(),
                k.node,
                k.op
            )));
        }
    }
    let max_groups = l.max_compute_workgroups_per_dimension;
    if let Some(k) = prog.kernels.iter().find(|k| k.groups.iter().any(|&g| g > max_groups)) {
        return Err(Error::node(&k.node, &k.op, format!(
            "a dispatch of {:?} workgroups exceeds this device's {max_groups} per dimension",
            k.groups
        )));
    }
    Ok(())
}
