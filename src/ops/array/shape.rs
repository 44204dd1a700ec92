//! Shape, ShapeN, Size, Rank: known from shapes alone, so always folded when planning.
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::util::tensor_from_i64;
use crate::ops::{Op, TensorInfo};
use crate::tensor::DType;

pub enum Kind {
    Shape,
    ShapeN,
    Size,
    Rank,
}

/// The op and its `out_type` (decoded when the model is loaded, [`ShapeOf::build`]).
pub struct ShapeOf(pub Kind, DType);

impl ShapeOf {
    pub fn build(node: &Node, kind: Kind) -> Result<ShapeOf> {
        Ok(ShapeOf(kind, node.attr_opt_dtype("out_type")?.unwrap_or(DType::I32)))
    }
}

impl Op for ShapeOf {
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), 1)?;
        let dt = self.1;
        let one = |v: Vec<i64>, shape: Vec<usize>| -> Result<TensorInfo> {
            Ok(TensorInfo::known(std::sync::Arc::new(tensor_from_i64(dt, shape, v)?)))
        };
        let dims = |i: &TensorInfo| i.shape.iter().map(|&d| d as i64).collect::<Vec<_>>();
        Ok(match self.0 {
            Kind::Shape => vec![one(dims(&ins[0]), vec![ins[0].shape.len()])?],
            Kind::ShapeN => ins.iter().map(|i| one(dims(i), vec![i.shape.len()])).collect::<Result<_>>()?,
            Kind::Size => vec![one(vec![ins[0].shape.iter().product::<usize>() as i64], vec![])?],
            Kind::Rank => vec![TensorInfo::known(std::sync::Arc::new(tensor_from_i64(DType::I32, vec![], vec![ins[0].shape.len() as i64])?))],
        })
    }
    fn lower(&self, node: &Node, _cx: &mut Lower, _ins: &[Operand], _outs: &[Operand]) -> Result<()> {
        Err(node.err("internal: shapes are always known when planning"))
    }
}
