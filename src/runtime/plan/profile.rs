//! Profiling: a run with a compute pass per kernel and timestamp queries around each.
use std::collections::HashMap;

use super::{submit_and_map, Instance, Outcome, Plan};
use crate::error::{Error, Result};
use crate::graph::TensorRef;
use crate::runtime::context::{Context, GpuBuffer};
use crate::tensor::Tensor;

/// GPU time of one kernel, from timestamp queries.
#[derive(Clone, Debug)]
pub struct KernelTime {
    pub node: String,
    pub op: String,
    pub kernel: String,
    pub nanos: f64,
}

impl Plan {
    /// Runs on `inst` with a compute pass per kernel and timestamps around each (diagnostics
    /// only: slower than `run`, which records one pass). A program that pauses at a sync point
    /// also returns the lengths it read back.
    pub(crate) async fn profile_on(
        &self,
        ctx: &Context,
        consts: &HashMap<TensorRef, GpuBuffer>,
        inst: &Instance,
        feeds: &[&Tensor],
        earlier: &[(&Plan, &Instance)],
    ) -> Result<(Vec<KernelTime>, Outcome<()>)> {
        if !ctx.device().features().contains(wgpu::Features::TIMESTAMP_QUERY) {
            return Err(Error::Device("this adapter has no timestamp queries".into()));
        }
        let queue = ctx.queue();
        self.upload_feeds(queue, inst, feeds)?;
        let mut enc = ctx.device().create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("wgtf import") });
        self.import(consts, inst, earlier, &mut enc)?;
        queue.submit([enc.finish()]);
        let period = queue.get_timestamp_period() as f64;
        let mut out = Vec::with_capacity(self.prog.kernels.len());
        const CHUNK: usize = (wgpu::QUERY_SET_MAX_QUERIES / 2) as usize;
        for (c, chunk) in self.prog.kernels[self.resume..].chunks(CHUNK).enumerate() {
            let n = chunk.len() as u32 * 2;
            let qs = ctx.device().create_query_set(&wgpu::QuerySetDescriptor { label: Some("wgtf profile"), ty: wgpu::QueryType::Timestamp, count: n });
            let resolve = ctx.buffer("wgtf profile", n as u64 * 8, wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC)?;
            let read = ctx.buffer("wgtf profile", n as u64 * 8, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST)?;
            let mut enc = ctx.device().create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("wgtf profile") });
            for (j, k) in chunk.iter().enumerate() {
                let ki = self.resume + c * CHUNK + j;
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some(&k.node),
                    timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                        query_set: &qs,
                        beginning_of_pass_write_index: Some(2 * j as u32),
                        end_of_pass_write_index: Some(2 * j as u32 + 1),
                    }),
                });
                pass.set_pipeline(&self.pipelines[ki].pipeline);
                pass.set_bind_group(0, self.bind_group(inst, ki), &[]);
                pass.dispatch_workgroups(k.groups[0], k.groups[1], k.groups[2]);
            }
            enc.resolve_query_set(&qs, 0..n, &resolve.buf, 0);
            enc.copy_buffer_to_buffer(&resolve.buf, 0, &read.buf, 0, n as u64 * 8);
            submit_and_map(ctx, enc, &read.buf, "reading timestamps back").await?;
            let bytes = read.buf.slice(..).get_mapped_range().map_err(|e| Error::Device(format!("{e:?}")))?;
            let ts: Vec<u64> = bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect();
            drop(bytes);
            read.buf.unmap();
            for (j, k) in chunk.iter().enumerate() {
                let dt = ts[2 * j + 1].saturating_sub(ts[2 * j]) as f64 * period;
                out.push(KernelTime { node: k.node.clone(), op: k.op.clone(), kernel: k.variant.label(), nanos: dt });
            }
        }
        let outcome = match self.prog.pause {
            Some(_) => {
                let enc = ctx.device().create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("wgtf lengths") });
                Outcome::Paused(self.read_sync(ctx, consts, inst, enc).await?)
            }
            None => Outcome::Fetched(()),
        };
        Ok((out, outcome))
    }
}
