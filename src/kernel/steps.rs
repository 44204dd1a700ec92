//! Steps of a program with runtime loops, and the liveness those loops need: plain data the
//! planner records and the runtime walks.
use std::ops::Range;

use super::{Program, TensorId};

/// A runtime loop that runs longer than this is stopped with an error (the environment
/// variable `WGTF_MAX_LOOP_ITERATIONS` overrides it when a plan is made).
pub const MAX_RUNTIME_ITERATIONS: u64 = 1_000_000;

fn max_runtime_iterations() -> u64 {
    std::env::var("WGTF_MAX_LOOP_ITERATIONS").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(MAX_RUNTIME_ITERATIONS)
}

/// One step of a program with runtime loops. A program without any has no steps: all its
/// kernels run in one pass.
#[derive(Clone, Debug)]
pub enum Step {
    /// Dispatch these kernels in order.
    Kernels(Range<usize>),
    /// Repeat: run `cond`, then `body`, whose commits into the carried buffers are guarded by
    /// `pred`; read `pred` back every so many iterations; stop when false.
    Loop(LoopStep),
}

/// A loop whose trip count is decided on the GPU.
#[derive(Clone, Debug)]
pub struct LoopStep {
    /// The While node.
    pub node: String,
    pub cond: Vec<Step>,
    /// A one-element tensor the cond computes.
    pub pred: TensorId,
    /// The predicate is a float (true when non-zero, NaN included).
    pub pred_float: bool,
    pub body: Vec<Step>,
    pub max_iterations: u64,
    /// Kernels of the whole loop (cond, then body).
    pub span: Range<usize>,
    /// Where the cond ends and the body begins.
    pub cond_end: usize,
}

/// A runtime loop as the planner records it (kernel ranges).
#[derive(Clone, Debug)]
pub struct LoopMark {
    pub node: String,
    pub cond: Range<usize>,
    pub pred: TensorId,
    pub pred_float: bool,
    pub body: Range<usize>,
}

/// What the planner did with one loop or conditional (for `wgtf info`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopReport {
    pub node: String,
    pub op: String,
    /// Functions: cond and body of a loop, branches of a conditional.
    pub functions: Vec<String>,
    pub how: How,
}

/// How a loop or conditional runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum How {
    /// Unrolled at plan time: this many iterations.
    Unrolled(usize),
    /// A runtime loop (data-dependent trip count, or too long to unroll): why.
    Runtime(String),
    /// A conditional resolved at plan time: the branch taken.
    Branch(usize),
    /// A conditional decided on the GPU: both branches computed, outputs selected.
    Select,
}

impl std::fmt::Display for LoopReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fns = if self.functions.is_empty() { String::new() } else { format!(" [{}]", self.functions.join(", ")) };
        match &self.how {
            How::Unrolled(n) => {
                let s = if *n == 1 { "" } else { "s" };
                write!(f, "{} ({}){fns}: {n} iteration{s}, unrolled at plan time", self.node, self.op)
            }
            How::Runtime(why) => write!(
                f,
                "{} ({}){fns}: runtime loop ({why}); the predicate is read back after batches of 1, 2, 4, … 32 iterations",
                self.node, self.op
            ),
            How::Branch(b) => write!(f, "{} ({}){fns}: branch {b} taken (known at plan time)", self.node, self.op),
            How::Select => write!(f, "{} ({}){fns}: predicate computed on the GPU, both branches run, outputs selected", self.node, self.op),
        }
    }
}

/// Turns the recorded runtime loops into the program's steps.
pub(crate) fn finish(prog: &mut Program, loops: Vec<LoopMark>, reports: Vec<LoopReport>) {
    prog.loops = reports;
    if loops.is_empty() {
        return;
    }
    let n = prog.kernels.len();
    prog.steps = steps(&loops, 0..n, max_runtime_iterations());
}

/// The steps covering `range`: loops fully inside it (outermost first), kernels between them.
fn steps(loops: &[LoopMark], range: Range<usize>, max_iterations: u64) -> Vec<Step> {
    // Outermost loops in the range: those not inside another loop in the range.
    let mut inside: Vec<&LoopMark> = loops
        .iter()
        .filter(|l| l.cond.start >= range.start && l.body.end <= range.end)
        .collect();
    inside.sort_by_key(|l| (l.cond.start, std::cmp::Reverse(l.body.end)));
    let mut out = Vec::new();
    let mut at = range.start;
    for l in inside {
        if l.cond.start < at {
            continue; // nested in one already taken
        }
        if at < l.cond.start {
            out.push(Step::Kernels(at..l.cond.start));
        }
        let nested: Vec<LoopMark> = loops.iter().filter(|m| !std::ptr::eq(*m, l)).cloned().collect();
        out.push(Step::Loop(LoopStep {
            node: l.node.clone(),
            cond: steps(&nested, l.cond.clone(), max_iterations),
            pred: l.pred,
            pred_float: l.pred_float,
            body: steps(&nested, l.body.clone(), max_iterations),
            max_iterations,
            span: l.cond.start..l.body.end,
            cond_end: l.cond.end,
        }));
        at = l.body.end;
    }
    if at < range.end {
        out.push(Step::Kernels(at..range.end));
    }
    out
}

/// Liveness across runtime loops: a tensor a loop reads that was made before the loop must
/// live until the loop's last kernel (the loop reads it again on the next iteration), and so
/// must the predicate (read back after the cond, or after the body). Returns
/// (root tensor, last kernel it must live until).
pub fn loop_liveness(prog: &Program) -> Vec<(TensorId, usize)> {
    let mut out = Vec::new();
    if prog.steps.is_empty() {
        return out;
    }
    let mut first_def = vec![usize::MAX; prog.tensors.len()];
    for (ki, k) in prog.kernels.iter().enumerate() {
        for b in &k.bindings {
            let r = prog.root(b.id());
            if first_def[r] == usize::MAX {
                first_def[r] = ki;
            }
        }
    }
    fn walk(prog: &Program, steps: &[Step], first: &[usize], out: &mut Vec<(TensorId, usize)>) {
        for s in steps {
            if let Step::Loop(l) = s {
                let last = l.span.end.saturating_sub(1);
                for k in &prog.kernels[l.span.clone()] {
                    for b in &k.bindings {
                        let r = prog.root(b.id());
                        if first[r] < l.span.start {
                            out.push((r, last));
                        }
                    }
                }
                // Read back after the cond, or after the body when iterations are batched.
                out.push((prog.root(l.pred), last));
                walk(prog, &l.cond, first, out);
                walk(prog, &l.body, first, out);
            }
        }
    }
    walk(prog, &prog.steps, &first_def, &mut out);
    out
}
