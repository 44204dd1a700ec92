//! A run as a chain of plans: the first plan for the feeds, then, where one pauses at a sync
//! point (a length or value computed on the GPU), the plan for what it read back, until one
//! fetches.
use std::sync::Arc;

use super::{Model, SyncValues, MAX_SYNC_POINTS};
use crate::error::{Error, Result};
use crate::runtime::plan::{Instance, KernelTime, Outcome, Plan};
use crate::runtime::stats::{join, summary, PlanSummary};
use crate::tensor::Tensor;

/// What each plan of a run's chain does (profiles and summaries: native tools only).
#[derive(Clone, Copy)]
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(super) enum Job<'a> {
    /// Run; the fetches are read back, or copied into these buffers.
    Run(Option<&'a [&'a wgpu::Buffer]>),
    /// Run with timestamps around every kernel.
    Profile,
    /// Describe the plans (running those that pause, to learn what they read).
    Summary,
}

/// What a chain ends with.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(super) enum Done {
    Fetched(Vec<Tensor>),
    Profiled(Vec<KernelTime>),
    Planned(PlanSummary),
}

/// Each plan of a chain begins with the kernels and tensors of the one before it (planning is
/// deterministic): checked before a plan resumes where the one before paused.
fn continues(plan: &Plan, earlier: &[(&Plan, &Instance)]) -> Result<()> {
    let Some((prev, _)) = earlier.last() else { return Ok(()) };
    let point = plan.prog.syncs.get(earlier.len() - 1);
    let same = point.is_some_and(|s| s.kernel == prev.prog.kernels.len() && s.tensors == prev.prog.tensors.len())
        && prev.prog.pause.as_ref().is_some_and(|p| Some(&p.reads) == point.map(|s| &s.reads));
    if same {
        return Ok(());
    }
    Err(Error::Other(format!(
        "internal: the plan after sync point {} does not continue the plan before it (it resumes at {:?}, the plan before paused at {:?} after {} kernels and {} tensors)",
        earlier.len(),
        point.map(|s| (s.node.clone(), s.kernel, s.tensors)),
        prev.prog.pause.as_ref().map(|p| p.node.clone()),
        prev.prog.kernels.len(),
        prev.prog.tensors.len()
    )))
}

impl Model {
    /// Runs the plan for these feeds; where it pauses at a sync point, goes on with the plan
    /// for what it read back (copying in what the plans before made), until one fetches. `job`
    /// says what each plan of the chain does.
    pub(super) async fn chain(&self, given: &[(&str, &Tensor)], fetch_names: &[&str], job: Job<'_>) -> Result<Done> {
        let (feeds, fetches) = self.names(given, fetch_names)?;
        let tensors: Vec<&Tensor> = given.iter().map(|(_, t)| *t).collect();
        let mut read: SyncValues = Vec::new();
        let mut chain: Vec<(Arc<Plan>, Instance)> = Vec::new();
        let mut restarted = false;
        let mut times = Vec::new();
        let mut summaries = Vec::new();
        let result = loop {
            let graph = chain.first().map(|(p, _)| p.optimized);
            let plan = match self.plan_with_values(feeds.clone(), fetches.clone(), given, &read, graph) {
                Ok(p) => p,
                Err(e) => break Err(e),
            };
            // A plan after a sync point that needed values read back for planning, where the
            // first plan was made without (they differ in what they defer): the chain starts
            // again, planned with them from the first plan on (learned: once per signature).
            if chain.first().is_some_and(|(p, _)| p.read_values != plan.read_values) && !restarted {
                restarted = true;
                for (p, i) in chain.drain(..) {
                    p.give_back(i);
                }
                read.clear();
                times.clear();
                summaries.clear();
                continue;
            }
            let inst = match plan.checkout(&self.ctx, &self.consts, &self.counters) {
                Ok(i) => i,
                Err(e) => break Err(e),
            };
            let earlier: Vec<(&Plan, &Instance)> = chain.iter().map(|(p, i)| (p.as_ref(), i)).collect();
            if let Err(e) = continues(&plan, &earlier) {
                drop(earlier);
                plan.give_back(inst);
                break Err(e);
            }
            let step: Result<Outcome<Vec<Tensor>>> = match job {
                Job::Run(dest) => plan.run_on(&self.ctx, &self.consts, &inst, &tensors, &earlier, dest, &self.counters).await,
                Job::Profile => match plan.profile_on(&self.ctx, &self.consts, &inst, &tensors, &earlier).await {
                    Ok((t, o)) => {
                        times.extend(t);
                        Ok(match o {
                            Outcome::Paused(l) => Outcome::Paused(l),
                            Outcome::Fetched(()) => Outcome::Fetched(Vec::new()),
                        })
                    }
                    Err(e) => Err(e),
                },
                Job::Summary => {
                    summaries.push(summary(&plan));
                    match plan.prog.pause {
                        None => Ok(Outcome::Fetched(Vec::new())),
                        Some(_) => plan.run_on(&self.ctx, &self.consts, &inst, &tensors, &earlier, None, &self.counters).await,
                    }
                }
            };
            drop(earlier);
            chain.push((plan, inst));
            match step {
                Ok(Outcome::Fetched(out)) => {
                    break Ok(match job {
                        Job::Run(_) => Done::Fetched(out),
                        Job::Profile => Done::Profiled(std::mem::take(&mut times)),
                        Job::Summary => Done::Planned(join(std::mem::take(&mut summaries))),
                    })
                }
                Ok(Outcome::Paused(l)) if read.len() < MAX_SYNC_POINTS => read.push(l),
                Ok(Outcome::Paused(_)) => break Err(Error::Other(format!("a run passes more than {MAX_SYNC_POINTS} sync points (data-dependent lengths); stopped"))),
                Err(e) => break Err(e),
            }
        };
        for (p, i) in chain {
            p.give_back(i);
        }
        result
    }

}
