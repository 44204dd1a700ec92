//! The memory plan of a program: which earlier plans' tensors it imports, and an activation
//! slot for every tensor by liveness (slots reused once every tensor in them is dead). Plain
//! data; the runtime allocates what it says.
use super::{Binding, Fetch, Program, Source, TensorId};

/// The tensors made before `resume` (by the plans of earlier sync points) that a program's own
/// kernels read, its fetches read back, or its pause reads the lengths of: (root, the index of
/// the earlier plan that made it — feeds come from the first).
pub fn imports(prog: &Program, resume: usize, resume_tensors: usize) -> Vec<(TensorId, usize)> {
    if resume == 0 {
        return Vec::new();
    }
    let mut need = std::collections::BTreeSet::new();
    for k in &prog.kernels[resume..] {
        need.extend(k.bindings.iter().filter(|b| matches!(b, Binding::In(_))).map(|b| prog.root(b.id())));
    }
    for f in &prog.fetches {
        if let Fetch::Device(id) = f {
            need.insert(prog.root(*id));
            need.extend(prog.length_of(*id).map(|c| prog.root(c)));
        }
    }
    if let Some(p) = &prog.pause {
        need.extend(p.reads.iter().map(|r| prog.root(r.source())));
    }
    need.into_iter()
        .filter(|&r| r < resume_tensors)
        .filter_map(|r| match prog.tensors[r].source {
            Source::Feed(_) => Some((r, 0)),
            Source::Activation => {
                let writer = prog.kernels[..resume].iter().position(|k| k.bindings.iter().any(|b| matches!(b, Binding::Out(t) if prog.root(*t) == r)))?;
                Some((r, prog.syncs.iter().filter(|s| s.kernel <= writer).count()))
            }
            _ => None,
        })
        .collect()
}

/// Assigns activation slots by liveness: a slot is reused once every tensor in it is dead.
/// Returns (slot of each root tensor, slot sizes, peak bytes alive at once).
/// Only the kernels from `resume` on run; `imports` are copied in before them. A program that
/// pauses at a sync point keeps what the plans after it read to its end.
pub fn assign_slots(prog: &Program, resume: usize, imports: &[(TensorId, usize)]) -> (Vec<Option<usize>>, Vec<u64>, Vec<u64>, u64) {
    let n = prog.tensors.len();
    let mut last_use = vec![0usize; n];
    let mut fetched: std::collections::HashSet<TensorId> = prog
        .fetches
        .iter()
        .filter_map(|f| if let Fetch::Device(id) = f { Some(prog.root(*id)) } else { None })
        // The length word of a data-dependent-length fetch is read back too: keep it alive.
        .flat_map(|r| [Some(r), prog.length_of(r).map(|c| prog.root(c))].into_iter().flatten())
        .collect();
    if let Some(p) = &prog.pause {
        fetched.extend(p.reads.iter().map(|r| prog.root(r.source())));
    }
    let kernels = || prog.kernels.iter().enumerate().skip(resume);
    for (ki, k) in kernels() {
        for b in &k.bindings {
            let r = prog.root(b.id());
            last_use[r] = ki;
        }
    }
    // Runtime loops read what was made before them again at every iteration.
    for (r, k) in super::steps::loop_liveness(prog) {
        last_use[r] = last_use[r].max(k);
    }
    let is_act = |r: usize| matches!(prog.tensors[r].source, Source::Activation);
    // Lifetimes [first use, last use] of every activation root (fetched ones live to the end).
    let mut first_use = vec![usize::MAX; n];
    for (ki, k) in kernels() {
        for b in &k.bindings {
            let r = prog.root(b.id());
            first_use[r] = first_use[r].min(ki);
        }
    }
    for &(r, _) in imports {
        first_use[r] = resume;
    }
    // A program that pauses keeps what the plans after it read (all, where that is not known).
    let keep_all = prog.pause.as_ref().is_some_and(|p| p.live.is_none());
    if let Some(live) = prog.pause.as_ref().and_then(|p| p.live.as_ref()) {
        fetched.extend(live.iter().copied());
    }
    let end_of = |r: usize| if keep_all || fetched.contains(&r) { usize::MAX } else { last_use[r] };
    let roots: Vec<usize> = (0..n).filter(|&r| is_act(r) && first_use[r] != usize::MAX).collect();
    // Peak of the bytes alive at once: the lower bound of any assignment.
    let mut events: Vec<(usize, i64)> = Vec::new();
    for &r in &roots {
        let b = prog.tensors[r].bytes() as i64;
        events.push((first_use[r], b));
        if end_of(r) != usize::MAX {
            events.push((end_of(r) + 1, -b));
        }
    }
    events.sort_by_key(|&(t, d)| (t, d));
    let (mut live, mut peak) = (0i64, 0i64);
    for (_, d) in events {
        live += d;
        peak = peak.max(live);
    }
    let peak = peak.max(0) as u64;
    // Three assignments, the smallest kept: greedy by size with first fit and with best fit
    // (largest tensors first, each into a slot whose tenants' lifetimes it does not overlap),
    // and a linear scan that reuses freed slots (growing them when needed). A kernel's inputs and
    // outputs overlap at that kernel, so they never share a buffer — WebGPU forbids one buffer
    // bound read-only and writable in one dispatch.
    let size = |r: usize| prog.tensors[r].bytes();
    let mut by_size = roots.clone();
    by_size.sort_by_key(|&r| (std::cmp::Reverse(size(r)), first_use[r]));
    // Also by area (bytes × kernels alive): long-lived large tensors first.
    let mut by_area = roots.clone();
    by_area.sort_by_key(|&r| {
        let len = end_of(r).min(prog.kernels.len()).saturating_sub(first_use[r]) as u64 + 1;
        (std::cmp::Reverse(size(r).saturating_mul(len)), first_use[r])
    });
    let greedy = |best: bool, by_size: &Vec<usize>| -> (Vec<Option<usize>>, Vec<u64>) {
        let mut slot_of = vec![None; n];
        let mut sizes: Vec<u64> = Vec::new();
        let mut tenants: Vec<Vec<(usize, usize)>> = Vec::new();
        for &r in by_size {
            let (a, b) = (first_use[r], end_of(r));
            let need = size(r);
            let fits = |s: usize| sizes[s] >= need && tenants[s].iter().all(|&(x, y)| b < x || y < a);
            let found = if best {
                (0..sizes.len()).filter(|&s| fits(s)).min_by_key(|&s| sizes[s])
            } else {
                (0..sizes.len()).find(|&s| fits(s))
            };
            let slot = found.unwrap_or_else(|| {
                sizes.push(need);
                tenants.push(Vec::new());
                sizes.len() - 1
            });
            tenants[slot].push((a, b));
            slot_of[r] = Some(slot);
        }
        (slot_of, sizes)
    };
    let scan = || -> (Vec<Option<usize>>, Vec<u64>) {
        let mut order = roots.clone();
        order.sort_by_key(|&r| first_use[r]);
        let mut slot_of = vec![None; n];
        let mut sizes: Vec<u64> = Vec::new();
        let mut busy_until: Vec<usize> = Vec::new();
        for r in order {
            let (a, b) = (first_use[r], end_of(r));
            let need = size(r);
            let free: Vec<usize> = (0..sizes.len()).filter(|&s| busy_until[s] < a).collect();
            let pick = free
                .iter()
                .copied()
                .filter(|&s| sizes[s] >= need)
                .min_by_key(|&s| sizes[s])
                .or_else(|| free.iter().copied().max_by_key(|&s| sizes[s]));
            let slot = match pick {
                Some(s) => {
                    sizes[s] = sizes[s].max(need);
                    s
                }
                None => {
                    sizes.push(need);
                    busy_until.push(0);
                    sizes.len() - 1
                }
            };
            busy_until[slot] = b;
            slot_of[r] = Some(slot);
        }
        (slot_of, sizes)
    };
    // Arenas: tensors at aligned offsets inside a few buffers. A kernel's outputs must not share
    // a buffer with its inputs, so tensors are first coloured (an output never gets a colour of
    // one of its kernel's inputs), then packed by offset within each colour's buffer.
    let arenas = || -> (Vec<Option<usize>>, Vec<u64>, Vec<u64>) {
        const ALIGN: u64 = 256;
        let mut conflicts: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (_, k) in kernels() {
            let ins: Vec<usize> = k.bindings.iter().filter(|b| matches!(b, Binding::In(_))).map(|b| prog.root(b.id())).filter(|&r| is_act(r)).collect();
            let outs: Vec<usize> = k.bindings.iter().filter(|b| matches!(b, Binding::Out(_))).map(|b| prog.root(b.id())).filter(|&r| is_act(r)).collect();
            for &o in &outs {
                for &i in &ins {
                    if i != o {
                        conflicts[o].push(i);
                        conflicts[i].push(o);
                    }
                }
            }
        }
        let mut colour = vec![usize::MAX; n];
        let mut order = roots.clone();
        order.sort_by_key(|&r| first_use[r]);
        for &r in &order {
            let used: std::collections::HashSet<usize> = conflicts[r].iter().map(|&c| colour[c]).collect();
            colour[r] = (0..).find(|c| !used.contains(c)).unwrap_or(0);
        }
        let colours = roots.iter().map(|&r| colour[r] + 1).max().unwrap_or(0);
        let mut offset = vec![0u64; n];
        let mut sizes = vec![0u64; colours];
        let mut placed: Vec<Vec<(usize, usize, u64, u64)>> = vec![Vec::new(); colours];
        for &r in &by_size {
            let c = colour[r];
            let (a, b) = (first_use[r], end_of(r));
            let need = size(r).div_ceil(ALIGN) * ALIGN;
            let mut busy: Vec<(u64, u64)> = placed[c].iter().filter(|&&(x, y, _, _)| !(b < x || y < a)).map(|&(_, _, o, s)| (o, o + s)).collect();
            busy.sort_unstable();
            let mut off = 0u64;
            for (lo, hi) in busy {
                if off + need <= lo {
                    break;
                }
                off = off.max(hi);
            }
            placed[c].push((a, b, off, need));
            offset[r] = off;
            sizes[c] = sizes[c].max(off + need);
        }
        let slot_of = (0..n).map(|r| (colour[r] != usize::MAX).then_some(colour[r])).collect();
        (slot_of, offset, sizes)
    };
    let per_tensor = [greedy(false, &by_size), greedy(true, &by_size), greedy(false, &by_area), greedy(true, &by_area), scan()]
        .into_iter()
        .min_by_key(|(_, s)| s.iter().sum::<u64>())
        .unwrap_or_default();
    let packed = arenas();
    let (mut slot_of, mut offset_of, mut sizes) = if packed.2.iter().sum::<u64>() < per_tensor.1.iter().sum::<u64>() {
        packed
    } else {
        (per_tensor.0, vec![0u64; n], per_tensor.1)
    };
    // Fetched activations that no kernel writes (empty tensors) still need a buffer to read.
    for &r in &fetched {
        if is_act(r) && slot_of[r].is_none() {
            sizes.push(prog.tensors[r].bytes());
            slot_of[r] = Some(sizes.len() - 1);
            offset_of[r] = 0;
        }
    }
    (slot_of, offset_of, sizes, peak)
}
