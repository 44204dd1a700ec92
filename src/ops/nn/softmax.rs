//! Softmax and LogSoftmax over the last axis (one workgroup per row, max-subtracted; rows
//! beyond the loop budget in three passes: parts' maxima and sums, rows', then the outputs).
use crate::kernel::codes::SoftmaxStage;
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{spread_groups, grid, Binding, Lower, Meta, Operand, ShaderVariant, Storage, LOOP_BUDGET};
use crate::kernel::meta::{w, SoftmaxMeta};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::DType;

pub struct Softmax {
    pub log: bool,
}

impl Op for Softmax {
    fn f16(&self) -> bool {
        true
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        let x = &ins[0];
        if !x.dtype.is_float() || x.shape.is_empty() {
            return Err(node.err("expects a float tensor of rank ≥ 1"));
        }
        Ok(vec![TensorInfo::new(x.dtype, x.shape.clone())])
    }
    fn lower(&self, _node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let x = &ins[0];
        let cols = *x.shape.last().unwrap_or(&1);
        let rows = if cols == 0 { 0 } else { x.elements() / cols };
        let v = cx.target().group_reduce(ShaderVariant::new(&shaders::SOFTMAX).set("LOG", self.log as i64), Storage::F32);
        // A workgroup walks its row three times, 256 columns a step; rows longer than the loop
        // budget allows go in parts.
        if cols <= LOOP_BUDGET / 3 * 256 {
            let meta = Meta::from(SoftmaxMeta { rows: w(rows), cols: w(cols), parts: 1, chunk: w(cols) });
            cx.kernel(v, spread_groups(rows), meta, vec![Binding::In(x.id), Binding::Out(outs[0].id)]);
            return Ok(());
        }
        // Under `--precision f16` the passes run on an f32 copy (their statistics are f32).
        if x.storage() == Storage::F16 {
            let wide = |cx: &mut Lower, o: &Operand| Operand { id: cx.temp_as(o.dtype, o.shape.clone(), Storage::F32), storage: Storage::F32, value: None, ..o.clone() };
            let (xw, yw) = (wide(cx, x), wide(cx, &outs[0]));
            crate::ops::array::cast::convert(cx, x, &xw);
            self.multi_pass(cx, &xw, &yw, rows, cols, |v| v.ty("F", "f32"));
            crate::ops::array::cast::convert(cx, &yw, &outs[0]);
            return Ok(());
        }
        self.multi_pass(cx, x, &outs[0], rows, cols, |v| v);
        Ok(())
    }
}

impl Softmax {
    /// Rows too long for one workgroup's loop: part statistics, row statistics, then each
    /// element (f32 tensors; `ty` names their storage in the variants).
    fn multi_pass(&self, cx: &mut Lower, x: &Operand, y: &Operand, rows: usize, cols: usize, ty: impl Fn(ShaderVariant) -> ShaderVariant) {
        let v = ty(cx.target().group_reduce(ShaderVariant::new(&shaders::SOFTMAX).set("LOG", self.log as i64), Storage::F32));
        let chunk = 64 * 256;
        let parts = cols.div_ceil(chunk);
        let meta = Meta::from(SoftmaxMeta { rows: w(rows), cols: w(cols), parts: w(parts), chunk: w(chunk) });
        let part_stats = cx.temp_as(DType::F32, vec![rows * parts, 2], Storage::F32);
        let row_stats = cx.temp_as(DType::F32, vec![rows, 2], Storage::F32);
        cx.kernel(v.clone().set("STAGE", SoftmaxStage::Stats), spread_groups(rows * parts), meta.clone(), vec![Binding::In(x.id), Binding::Out(part_stats)]);
        cx.kernel(v.set("STAGE", SoftmaxStage::Combine), spread_groups(rows), meta.clone(), vec![Binding::In(part_stats), Binding::Out(row_stats)]);
        let apply = ty(ShaderVariant::new(&shaders::SOFTMAX).set("LOG", self.log as i64).entry("apply"));
        cx.kernel(apply, grid(rows * cols, 256), meta, vec![Binding::In(x.id), Binding::Out(y.id), Binding::In(row_stats)]);
    }
}
