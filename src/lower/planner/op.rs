//! One node through its op: infer, fold when every input is known, narrow and widen int64,
//! lower to kernels; sync points where planning needs what only the GPU knows yet.

use super::{small, Known, Planner};
use crate::error::Result;
use crate::graph::op_kind;
use crate::graph::Node;
use crate::kernel::{Lower, Operand, ProgTensor, Source, Storage, SyncPoint, SyncRead};
use crate::ops::TensorInfo;
use crate::tensor::DType;

impl<'a> Planner<'a> {
    /// Folds, infers and lowers one ordinary op.
    pub fn op(&mut self, node: &Node, ins: &[Known]) -> Result<Vec<Known>> {
        // The main graph's ops were built at load; a function body's nodes are built here, once.
        let built = if self.depth == 0 { self.folded.ops.get(&node.name).cloned() } else { None };
        let op = match built {
            Some(op) => op,
            None => match self.op_cache.get(&(node as *const Node as usize)) {
                Some(op) => op.clone(),
                None => {
                    let op = self.registry.build(node)?;
                    self.op_cache.insert(node as *const Node as usize, op.clone());
                    op
                }
            },
        };
        let op = op.as_ref();
        let resolved;
        let ins = match self.sync(node, op, ins)? {
            Some(r) => {
                resolved = r;
                resolved.as_slice()
            }
            None => ins,
        };
        let infos: Vec<TensorInfo> = ins.iter().map(|k| k.info.clone()).collect();
        // `infer` checks the inputs (count, dtypes, shapes) before a fold or a lowering reads them.
        let inferred = op.infer(node, &infos)?;
        // Fold on the CPU when every input is known (and the result is not huge: see fold.rs).
        let foldable = !infos.is_empty() && !crate::lower::fold::too_large_to_fold(&inferred);
        let folded = if foldable && infos.iter().all(|i| i.value.is_some()) && node.op != "PlaceholderWithDefault" {
            let vals: Vec<_> = infos.iter().map(|i| i.value.clone().unwrap()).collect();
            op.fold(node, &vals).transpose()?
        } else {
            None
        };
        let outs: Vec<TensorInfo> = match folded {
            Some(vals) => vals.into_iter().map(TensorInfo::known).collect(),
            None => inferred,
        };
        if outs.iter().all(|o| o.value.is_some()) {
            return Ok(outs.into_iter().map(|info| Known { info, id: None, upload: None }).collect());
        }
        // Lower to kernels.
        for (i, info) in infos.iter().enumerate() {
            if op.is_host_input(node, i) && info.value.is_none() {
                return Err(node.needs_values([i], format!(
                    "input {i} ('{}') must be known when planning (it depends on feed values, not only on shapes)",
                    node.inputs[i]
                )));
            }
        }
        // How this op holds floats: f16 where it has f16 kernels and the plan stores floats so.
        let floats = if self.prog.target.f16 && op.f16() { Storage::F16 } else { Storage::F32 };
        let mut operands = Vec::with_capacity(ins.len());
        for (i, k) in ins.iter().enumerate() {
            let id = if op.is_host_input(node, i) { usize::MAX } else { self.device_id(k, node)? };
            let storage = if id == usize::MAX { self.prog.storage_of(k.info.dtype) } else { self.prog.tensors[id].storage };
            let o = Operand { id, dtype: k.info.dtype, storage, shape: k.info.shape.clone(), value: k.info.value.clone() };
            operands.push(if id == usize::MAX { o } else { self.held_as(node, o, floats) });
        }
        // Ops without 64-bit kernels see int64 tensors narrowed to int32 (exact within its
        // range), and their int64 outputs are widened back.
        let narrowing = !op.int64()
            && (operands.iter().any(|o| o.id != usize::MAX && o.storage == Storage::I64)
                || outs.iter().any(|o| o.value.is_none() && self.prog.storage_of(o.dtype) == Storage::I64));
        if narrowing {
            for (i, o) in operands.iter_mut().enumerate() {
                if o.id != usize::MAX && o.storage == Storage::I64 {
                    let t = self.activation(format!("{}/narrow{i}", node.name), DType::I32, o.shape.clone());
                    let narrow = Operand { id: t, dtype: DType::I32, storage: Storage::I32, shape: o.shape.clone(), value: None };
                    crate::ops::array::cast::convert(&mut Lower::new(&mut self.prog, node), o, &narrow);
                    *o = Operand { value: o.value.clone(), ..narrow };
                }
            }
        }
        let mut out_ops = Vec::with_capacity(outs.len());
        let mut widen = Vec::new();
        for (i, o) in outs.iter().enumerate() {
            if o.value.is_some() {
                // Known when planning (e.g. batch-norm statistics passed through): no kernel.
                let storage = self.prog.storage_of(o.dtype);
                out_ops.push(Operand { id: usize::MAX, dtype: o.dtype, storage, shape: o.shape.clone(), value: o.value.clone() });
                continue;
            }
            if Storage::of(o.dtype).is_none() {
                return Err(node.err(format!("output {i} has type {}, which cannot live on the GPU", o.dtype)));
            }
            let id = self.activation(format!("{}:{i}", node.name), o.dtype, o.shape.clone());
            if self.prog.tensors[id].storage == Storage::F32 {
                self.prog.tensors[id].storage = floats;
            }
            let out = Operand { id, dtype: o.dtype, storage: self.prog.tensors[id].storage, shape: o.shape.clone(), value: None };
            if narrowing && out.storage == Storage::I64 {
                let t = self.activation(format!("{}/narrow_out{i}", node.name), DType::I32, o.shape.clone());
                out_ops.push(Operand { id: t, dtype: DType::I32, storage: Storage::I32, shape: o.shape.clone(), value: None });
                widen.push((i, out));
            } else {
                out_ops.push(out);
            }
        }
        let first_kernel = self.prog.kernels.len();
        {
            let mut cx = Lower::new(&mut self.prog, node).with_floats(floats);
            op.lower(node, &mut cx, &operands, &out_ops)?;
        }
        self.check_written(node, first_kernel, &out_ops)?;
        if self.prog.target.f16 {
            self.check_floats(node, first_kernel)?;
        }
        for (i, wide) in widen {
            crate::ops::array::cast::convert(&mut Lower::new(&mut self.prog, node), &out_ops[i], &wide);
            // A data-dependent length moves to the widened tensor (the cast reads every row).
            let narrow = out_ops[i].id;
            if let Some(e) = self.prog.lengths.iter_mut().find(|(t, _, _)| *t == narrow) {
                e.0 = wide.id;
                e.1 = self.prog.tensors[wide.id].name.clone();
            }
            out_ops[i] = wide;
        }
        Ok(out_ops
            .into_iter()
            .zip(outs)
            .map(|(o, info)| {
                let id = if info.value.is_some() { None } else { Some(o.id) };
                Known { info, id, upload: None }
            })
            .collect())
    }

    /// `o` held as `floats` when it is a float tensor held otherwise: f16 ↔ f32, converted once
    /// per plan (and per conditional or loop body: see `structural`) by the cast kernel.
    pub(crate) fn held_as(&mut self, node: &Node, o: Operand, floats: Storage) -> Operand {
        if !o.storage.is_float() || o.storage == floats {
            return o;
        }
        if let Some(&id) = self.converted.get(&(o.id, floats)) {
            return Operand { id, storage: floats, ..o };
        }
        let name = format!("{}/{}", self.prog.tensors[o.id].name, floats.wgsl());
        let id = self.activation(name, o.dtype, o.shape.clone());
        self.prog.tensors[id].storage = floats;
        let to = Operand { id, storage: floats, ..o.clone() };
        crate::ops::array::cast::convert(&mut Lower::new(&mut self.prog, node), &o, &to);
        self.converted.insert((o.id, floats), id);
        to
    }

    /// Every kernel since `first` binds float tensors as its shader holds them: f16 exactly where
    /// it was compiled with `F = f16` (or names f16 in another alias, as the cast kernel does).
    fn check_floats(&self, node: &Node, first: usize) -> Result<()> {
        for k in &self.prog.kernels[first..] {
            let declares = k.variant.shader.float_alias;
            let f16_form = k.variant.types.iter().any(|(_, t)| t.contains("f16"));
            for b in &k.bindings {
                let s = self.prog.tensors[b.id()].storage;
                let fits = match s {
                    Storage::F16 => f16_form,
                    Storage::F32 => !declares || !f16_form,
                    _ => true,
                };
                if !fits {
                    return Err(node.err(format!(
                        "internal: kernel {} binds {} as {} (f16 storage)",
                        k.variant.label(),
                        self.prog.tensors[b.id()].name,
                        s.wgsl()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Sync points. Tensors of data-dependent length (Where, NonMaxSuppression) hold an upper
    /// bound of rows until their length is read back: they may pass through identities (and be
    /// fetched), but any other op that reads one needs the length. And an op's host input (a
    /// shape, a range limit) computed on the GPU needs its value.
    ///
    /// A node of the main graph that needs them is deferred (`blocked` holds the reads): the
    /// pass goes on with the nodes that do not depend on it, and one sync point at the end of the
    /// pass reads back what every deferred node needs (see `compile_with`). Inside a function
    /// body (a loop being unrolled) the sync point is here: with what it reads given, the inputs
    /// become views of their valid rows or known values (returned); without, planning pauses.
    pub(crate) fn sync(&mut self, node: &Node, op: &dyn crate::ops::Op, ins: &[Known]) -> Result<Option<Vec<Known>>> {
        let passes = op_kind::passes_through(&node.op);
        let out: Vec<Known> = ins.iter().map(|k| self.known(k)).collect();
        let changed = out.iter().zip(ins).any(|(a, b)| a.id != b.id || a.info.value.is_some() != b.info.value.is_some());
        if passes {
            return Ok(changed.then_some(out));
        }
        let mut reads = Vec::new();
        for (i, k) in out.iter().enumerate() {
            let Some(id) = k.id else { continue };
            let root = self.prog.root(id);
            if let Some(count) = self.prog.length_of(id).filter(|_| !self.resolved.contains_key(&root)) {
                reads.push(SyncRead::Length { tensor: root, count });
            } else if self.read_values && op.is_host_input(node, i) && k.info.value.is_none() && small(k) {
                reads.push(SyncRead::Value { tensor: id });
            }
        }
        if reads.is_empty() {
            return Ok(changed.then_some(out));
        }
        if self.runtime_loops > 0 {
            return Err(node.err(
                "an input has a data-dependent length, or a value computed on the GPU that planning needs, inside a loop whose trip count is decided on the GPU: not supported",
            ));
        }
        if self.depth == 0 {
            self.blocked = Some(reads);
            return Err(node.err("internal: deferred to a sync point"));
        }
        self.sync_point(node, reads)?;
        Ok(Some(ins.iter().map(|k| self.known(k)).collect()))
    }

    /// A sync point here, reading `reads`: resolved with what the runs before read back, or the
    /// pause of planning (an error that `compile_with` turns into the program so far).
    pub(crate) fn sync_point(&mut self, node: &Node, reads: Vec<SyncRead>) -> Result<()> {
        let point = SyncPoint { node: node.name.clone(), op: node.op.clone(), kernel: self.prog.kernels.len(), tensors: self.prog.tensors.len(), reads, live: None };
        let Some(given) = self.given.get(self.prog.syncs.len()) else {
            self.pause = Some(point);
            return Err(node.err("internal: planning paused at a sync point"));
        };
        if given.len() != point.reads.len() {
            return Err(node.err(format!("internal: {} values read back for {} reads of a sync point", given.len(), point.reads.len())));
        }
        for (&read, v) in point.reads.iter().zip(given) {
            match read {
                SyncRead::Length { tensor, .. } => {
                    let t = &self.prog.tensors[tensor];
                    let len = v.to_i64_vec()?.first().copied().unwrap_or(0).max(0) as usize;
                    let mut shape = t.shape.clone();
                    shape[0] = len.min(shape[0]);
                    let (dtype, storage, name) = (t.dtype, t.storage, format!("{}/valid{len}", t.name));
                    self.prog.tensors.push(ProgTensor { name, dtype, storage, shape: shape.clone(), source: Source::Alias(tensor) });
                    let view = Known::device(self.prog.tensors.len() - 1, dtype, shape);
                    self.resolved.insert(tensor, view);
                }
                SyncRead::Value { tensor } => {
                    if v.len() != self.prog.tensors[tensor].elements() {
                        return Err(node.err("internal: a value read back has the wrong size"));
                    }
                    self.valued.insert(self.prog.root(tensor), v.clone());
                }
            }
        }
        self.prog.syncs.push(point);
        Ok(())
    }
}
