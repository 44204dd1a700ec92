//! Running a program with runtime loops (see `lower::control`): the steps are recorded in
//! order; a loop's iterations (cond, then body) are recorded in batches, and after each batch
//! the commands so far are submitted and the predicate (one 32-bit word) is read back. The
//! body's commits into the carried buffers are guarded by the predicate, so iterations recorded
//! after the condition turned false change nothing: batches grow 1, 2, 4, … up to
//! [`MAX_BATCH`] iterations, so a loop of n iterations costs about log2(n) + n/MAX_BATCH
//! round trips (submit + wait), and at most as many wasted iterations as it ran. A loop with
//! another runtime loop inside reads its predicate back at every iteration (no batching).
//! Programs without runtime loops never come here.
use std::ops::Range;
use std::sync::atomic::Ordering;

use super::{Instance, Plan};
use crate::error::{Error, Result};
use crate::graph::TensorRef;
use crate::kernel::steps::LoopStep;
use crate::kernel::Step;
use crate::runtime::context::{Context, GpuBuffer};

/// The most iterations of a runtime loop recorded per predicate readback.
pub(super) const MAX_BATCH: u64 = 32;

/// What a run with loops did besides one pass and one submit.
#[derive(Default)]
pub(super) struct FlowStats {
    pub dispatches: u64,
    pub passes: u64,
    pub submits: u64,
    pub read_back: u64,
}

impl Plan {
    /// Records the program's steps into `enc`, submitting and reading back each loop's
    /// predicate as it goes. Returns the encoder holding what follows the last readback.
    pub(super) async fn run_steps(
        &self,
        ctx: &Context,
        consts: &std::collections::HashMap<TensorRef, GpuBuffer>,
        inst: &Instance,
        mut enc: wgpu::CommandEncoder,
        stats: &mut FlowStats,
    ) -> Result<wgpu::CommandEncoder> {
        // Steps before the sync point this plan resumes at ran in earlier plans.
        let resume = self.resume;
        let steps: Vec<Step> = self
            .prog
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Kernels(r) if r.end > resume => Some(Step::Kernels(r.start.max(resume)..r.end)),
                Step::Loop(l) if l.span.start >= resume => Some(s.clone()),
                _ => None,
            })
            .collect();
        self.steps_into(ctx, consts, inst, &mut enc, &steps, stats).await?;
        Ok(enc)
    }

    /// Records `steps` (recursively: loops hold steps), awaiting each predicate readback.
    fn steps_into<'a>(
        &'a self,
        ctx: &'a Context,
        consts: &'a std::collections::HashMap<TensorRef, GpuBuffer>,
        inst: &'a Instance,
        enc: &'a mut wgpu::CommandEncoder,
        steps: &'a [Step],
        stats: &'a mut FlowStats,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + 'a>> {
        Box::pin(async move {
        for s in steps {
            match s {
                Step::Kernels(r) => self.record(enc, inst, r.clone(), stats),
                Step::Loop(l) if flat(&l.cond) && flat(&l.body) => {
                    let mut n = 0u64;
                    let mut batch = 1u64;
                    loop {
                        // Cond and body are contiguous kernels: the batch is one pass.
                        self.record_n(enc, inst, l.span.clone(), batch, stats);
                        n += batch;
                        if !self.read_pred(ctx, consts, inst, enc, l, stats).await? {
                            break;
                        }
                        if n > l.max_iterations {
                            return Err(Error::node(
                                &l.node,
                                "While",
                                format!("the loop ran more than {} iterations; stopped", l.max_iterations),
                            ));
                        }
                        batch = (batch * 2).min(MAX_BATCH);
                    }
                }
                Step::Loop(l) => {
                    let mut n = 0u64;
                    loop {
                        self.steps_into(ctx, consts, inst, enc, &l.cond, stats).await?;
                        if !self.read_pred(ctx, consts, inst, enc, l, stats).await? {
                            break;
                        }
                        n += 1;
                        if n > l.max_iterations {
                            return Err(Error::node(
                                &l.node,
                                "While",
                                format!("the loop ran more than {} iterations; stopped", l.max_iterations),
                            ));
                        }
                        self.steps_into(ctx, consts, inst, enc, &l.body, stats).await?;
                    }
                }
            }
        }
        Ok(())
        })
    }

    fn record(&self, enc: &mut wgpu::CommandEncoder, inst: &Instance, r: Range<usize>, stats: &mut FlowStats) {
        self.record_n(enc, inst, r, 1, stats)
    }

    /// Records kernels `r`, `times` times over, in one pass.
    fn record_n(&self, enc: &mut wgpu::CommandEncoder, inst: &Instance, r: Range<usize>, times: u64, stats: &mut FlowStats) {
        if r.is_empty() || times == 0 {
            return;
        }
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("wgtf"), timestamp_writes: None });
        for _ in 0..times {
            for ki in r.clone() {
                let k = &self.prog.kernels[ki];
                pass.set_pipeline(&self.pipelines[ki].pipeline);
                pass.set_bind_group(0, self.bind_group(inst, ki), &[]);
                pass.dispatch_workgroups(k.groups[0], k.groups[1], k.groups[2]);
            }
        }
        stats.dispatches += r.len() as u64 * times;
        stats.passes += 1;
    }

    /// Submits what is recorded, with a copy of the predicate, waits, and reads it.
    async fn read_pred(
        &self,
        ctx: &Context,
        consts: &std::collections::HashMap<TensorRef, GpuBuffer>,
        inst: &Instance,
        enc: &mut wgpu::CommandEncoder,
        l: &LoopStep,
        stats: &mut FlowStats,
    ) -> Result<bool> {
        let st = inst.pred.as_ref().ok_or_else(|| Error::Other("internal: no predicate readback buffer".into()))?;
        let src = self.buffer(inst, consts, l.pred)?;
        enc.copy_buffer_to_buffer(src, self.offset(l.pred), &st.buf, 0, 4);
        let next = ctx.device().create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("wgtf run") });
        let done = std::mem::replace(enc, next);
        stats.submits += 1;
        stats.read_back += 4;
        super::submit_and_map(ctx, done, &st.buf, "reading a loop predicate back").await?;
        let word = {
            let bytes = st.buf.slice(..).get_mapped_range().map_err(|e| Error::Device(format!("readback: {e:?}")))?;
            u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
        };
        st.buf.unmap();
        let word = if l.pred_float { word & 0x7fff_ffff } else { word };
        Ok(word != 0)
    }
}

impl FlowStats {
    /// Adds a run's loop statistics to the model counters.
    pub(super) fn count(&self, c: &crate::runtime::model::ModelCounters) {
        c.bytes_read_back.fetch_add(self.read_back, Ordering::Relaxed);
    }
}

/// Steps with no loop inside.
fn flat(steps: &[Step]) -> bool {
    steps.iter().all(|s| matches!(s, Step::Kernels(_)))
}
