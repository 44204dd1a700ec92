//! Unique(x): `y`, the distinct values of a 1-D `x` in order of first appearance, and `idx`
//! (`out_idx`, int32 by default), the position in `y` of each element. `y`'s length depends on
//! the data: computed on the CPU when `x` is known when planning; otherwise on the GPU, where `y`
//! holds up to `n` rows and its length is read back at a sync point where another op reads it
//! (`idx` has its full shape). On the GPU each invocation compares its element with those before
//! it, so `x` may have at most the loop budget's elements there.
use std::sync::Arc;

use crate::kernel::codes::UniqueStage;
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant, LOOP_BUDGET};
use crate::kernel::meta::{w, CountMeta};
use crate::ops::util::{gather_data, tensor_from_i64};
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{DType, Data, Tensor};

/// Unique, its `out_idx` decoded when the model is loaded.
pub struct Unique {
    out_idx: DType,
}

impl Unique {
    pub fn build(node: &Node) -> Result<Unique> {
        Ok(Unique { out_idx: out_idx(node)? })
    }
}

fn out_idx(node: &Node) -> Result<DType> {
    let t = node.attr_opt_dtype("out_idx")?.unwrap_or(DType::I32);
    if !matches!(t, DType::I32 | DType::I64) {
        return Err(node.err(format!("out_idx {t} is not int32 or int64")));
    }
    Ok(t)
}

/// (first occurrence of each distinct value, position in y of every element).
fn unique_host(x: &Tensor) -> Result<(Vec<usize>, Vec<i64>)> {
    let keys: Vec<Vec<u8>> = match x.data() {
        // Bit patterns, with -0 as 0; a NaN equals nothing (each one is its own value).
        Data::F32(v) => v.iter().map(|f| if *f == 0.0 { 0f32.to_bits() } else { f.to_bits() }.to_le_bytes().to_vec()).collect(),
        Data::F64(v) => v.iter().map(|f| if *f == 0.0 { 0f64.to_bits() } else { f.to_bits() }.to_le_bytes().to_vec()).collect(),
        Data::Str(v) => v.clone(),
        _ => x.to_i64_vec()?.iter().map(|i| i.to_le_bytes().to_vec()).collect(),
    };
    let nan = |i: usize| match x.data() {
        Data::F32(v) => v[i].is_nan(),
        Data::F64(v) => v[i].is_nan(),
        _ => false,
    };
    let mut seen: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::new();
    let (mut firsts, mut idx) = (Vec::new(), Vec::with_capacity(keys.len()));
    for (i, k) in keys.iter().enumerate() {
        let p = if nan(i) {
            None
        } else {
            seen.get(k.as_slice()).copied()
        };
        let p = p.unwrap_or_else(|| {
            firsts.push(i);
            if !nan(i) {
                seen.insert(k, firsts.len() - 1);
            }
            firsts.len() - 1
        });
        idx.push(p as i64);
    }
    Ok((firsts, idx))
}

impl Op for Unique {
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        let x = &ins[0];
        if x.shape.len() != 1 {
            return Err(node.err(format!("x must be 1-D, got shape {:?}", x.shape)));
        }
        let t = self.out_idx;
        // At most every element: a fetch is cut to the count; readers sync on it.
        Ok(vec![TensorInfo::new(x.dtype, x.shape.clone()), TensorInfo::new(t, x.shape.clone())])
    }
    fn fold(&self, _node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        Some((|| {
            let x = &ins[0];
            let (firsts, idx) = unique_host(x)?;
            let y = Tensor::new(x.dtype(), vec![firsts.len()], gather_data(x.data(), firsts.into_iter()))?;
            let n = idx.len();
            Ok(vec![Arc::new(y), Arc::new(tensor_from_i64(self.out_idx, vec![n], idx)?)])
        })())
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let x = &ins[0];
        let n = x.elements();
        if n > LOOP_BUDGET {
            return Err(node.err(format!("Unique of {n} elements computed on the GPU (more than {LOOP_BUDGET}) is not supported")));
        }
        if outs[1].storage() != crate::kernel::Storage::I32 || x.storage() == crate::kernel::Storage::I64 {
            return Err(node.err("internal: Unique's kernel takes 32-bit values and indices"));
        }
        let first = cx.temp(DType::I32, vec![n]);
        let count = cx.temp(DType::I32, vec![]);
        let v = ShaderVariant::new(&shaders::UNIQUE).ty("T", x.storage().wgsl());
        let bind = vec![Binding::In(x.id), Binding::Out(outs[0].id), Binding::Out(outs[1].id), Binding::Out(first), Binding::Out(count)];
        let meta = Meta::from(CountMeta { n: w(n), ..Default::default() });
        cx.kernel(v.clone().set("STAGE", UniqueStage::First), grid(n, 256), meta.clone(), bind.clone());
        cx.kernel(v.clone().set("STAGE", UniqueStage::Positions), [1, 1, 1], meta.clone(), bind.clone());
        cx.kernel(v.set("STAGE", UniqueStage::Indices), grid(n, 256), meta, bind);
        cx.dynamic_length(&outs[0], count);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_appearance_order_and_nan() {
        let x = Tensor::from_f32(vec![6], vec![3.0, 1.0, 3.0, f32::NAN, -0.0, f32::NAN]).unwrap();
        let (f, idx) = unique_host(&x).unwrap();
        assert_eq!(f, vec![0, 1, 3, 4, 5]);
        assert_eq!(idx, vec![0, 1, 0, 2, 3, 4]);
        let z = Tensor::from_f32(vec![2], vec![0.0, -0.0]).unwrap();
        assert_eq!(unique_host(&z).unwrap().1, vec![0, 0]);
    }
}
