//! What a model reports: its counters (cumulative since load), their snapshot, the GPU memory
//! it holds, and facts about a plan.
use std::sync::atomic::AtomicU64;

use super::plan::Plan;

/// Counters of one model, cumulative since load.
#[derive(Debug, Default)]
pub struct ModelCounters {
    pub runs: AtomicU64,
    pub dispatches: AtomicU64,
    pub passes: AtomicU64,
    pub submits: AtomicU64,
    pub bytes_uploaded: AtomicU64,
    pub bytes_read_back: AtomicU64,
    pub bind_groups_created: AtomicU64,
    pub instances_created: AtomicU64,
    pub plans_created: AtomicU64,
    /// Host time of runs by phase, in nanoseconds (see [`Phases`]).
    pub upload_ns: AtomicU64,
    pub encode_ns: AtomicU64,
    pub submit_ns: AtomicU64,
    pub wait_ns: AtomicU64,
    pub readback_ns: AtomicU64,
}

/// Where a run's host time goes, in nanoseconds over all runs: encoding and writing the feeds
/// (`upload`), recording the kernels (`encode`), `submit`, waiting for the GPU to finish and the
/// readback buffers to map (`wait`), and copying the mapped bytes into tensors (`readback`).
/// Everything but `wait` is overhead a run adds to its kernels (`wgtf bench` prints it per run).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Phases {
    pub upload_ns: u64,
    pub encode_ns: u64,
    pub submit_ns: u64,
    pub wait_ns: u64,
    pub readback_ns: u64,
}

/// Times the phases of a run into [`ModelCounters`] (no clock in browsers: nothing is timed).
pub(crate) struct Clock {
    #[cfg(not(target_arch = "wasm32"))]
    at: std::time::Instant,
}

impl Clock {
    pub fn start() -> Clock {
        Clock {
            #[cfg(not(target_arch = "wasm32"))]
            at: std::time::Instant::now(),
        }
    }
    /// Adds the time since the last lap to `into`.
    pub fn lap(&mut self, _into: &AtomicU64) {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let now = std::time::Instant::now();
            _into.fetch_add((now - self.at).as_nanos() as u64, std::sync::atomic::Ordering::Relaxed);
            self.at = now;
        }
    }
}

/// A snapshot of [`ModelCounters`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModelStats {
    pub runs: u64,
    pub dispatches: u64,
    pub passes: u64,
    pub submits: u64,
    pub bytes_uploaded: u64,
    pub bytes_read_back: u64,
    pub bind_groups_created: u64,
    pub instances_created: u64,
    pub plans_created: u64,
    /// Host time of runs by phase.
    pub phases: Phases,
}

/// GPU memory held by a model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryReport {
    /// Constants uploaded at load.
    pub weights: u64,
    /// Activation, feed and plan-constant buffers of every plan instance.
    pub activations: u64,
    /// Readback buffers.
    pub staging: u64,
}

/// Facts about one plan (for `wgtf info --plan` and benchmarks).
#[derive(Clone, Debug)]
pub struct PlanSummary {
    pub dispatches: usize,
    pub activation_bytes: u64,
    pub peak_live_bytes: u64,
    pub kernels: Vec<(String, String, String)>,
    /// Where a run stops to read data-dependent lengths back (one line each; empty: one submit).
    pub syncs: Vec<String>,
}

/// One plan of a chain: its own kernels (from the sync point it resumes at).
pub(crate) fn summary(plan: &Plan) -> PlanSummary {
    let (resume, _) = plan.prog.resume();
    PlanSummary {
        dispatches: plan.prog.kernels.len() - resume,
        activation_bytes: plan.activation_bytes,
        peak_live_bytes: plan.peak_live_bytes,
        kernels: plan.prog.kernels[resume..].iter().map(|k| (k.node.clone(), k.op.clone(), k.variant.label())).collect(),
        syncs: plan.prog.pause.iter().map(|p| p.to_string()).collect(),
    }
}

/// The plans of a chain as one: their kernels, the sync points between them, and the largest
/// memory of any.
pub(crate) fn join(plans: Vec<PlanSummary>) -> PlanSummary {
    let mut out = PlanSummary { dispatches: 0, activation_bytes: 0, peak_live_bytes: 0, kernels: Vec::new(), syncs: Vec::new() };
    for p in plans {
        out.dispatches += p.dispatches;
        out.activation_bytes = out.activation_bytes.max(p.activation_bytes);
        out.peak_live_bytes = out.peak_live_bytes.max(p.peak_live_bytes);
        out.kernels.extend(p.kernels);
        out.syncs.extend(p.syncs);
    }
    out
}
