//! Softmax and LogSoftmax over the last axis (one workgroup per row, max-subtracted; rows
//! beyond the loop budget in three passes: parts' maxima and sums, rows', then the outputs).
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
        let chunk = 64 * 256;
        let parts = cols.div_ceil(chunk);
        let meta = Meta::from(SoftmaxMeta { rows: w(rows), cols: w(cols), parts: w(parts), chunk: w(chunk) });
        let part_stats = cx.temp(DType::F32, vec![rows * parts, 2]);
        let row_stats = cx.temp(DType::F32, vec![rows, 2]);
        cx.kernel(v.clone().set("STAGE", 1), spread_groups(rows * parts), meta.clone(), vec![Binding::In(x.id), Binding::Out(part_stats)]);
        cx.kernel(v.set("STAGE", 2), spread_groups(rows), meta.clone(), vec![Binding::In(part_stats), Binding::Out(row_stats)]);
        let apply = ShaderVariant::new(&shaders::SOFTMAX).set("LOG", self.log as i64).entry("apply");
        cx.kernel(apply, grid(rows * cols, 256), meta, vec![Binding::In(x.id), Binding::Out(outs[0].id), Binding::In(row_stats)]);
        Ok(())
    }
}
