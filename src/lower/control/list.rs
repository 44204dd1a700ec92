//! TensorLists (TensorList* ops, TF2's TensorArray) and TF1 TensorArrays (TensorArray*V3) as
//! plan-time structures: a list is a vector of element tensors, each a planned tensor (on the
//! GPU or known on the host) or a lazy slice of a stacked tensor (`TensorListFromTensor`), so
//! that reading element `t` of an unstacked input costs one copy kernel, and stacking a list
//! whose elements are slices of one tensor in order costs nothing (a view).
//!
//! Indices (`GetItem`, `SetItem`, `Read`, `Write`) are usually known when planning: in
//! unrolled loops the loop counter is a plan-time value. In a runtime loop (trip count decided
//! on the GPU) a list is one stacked GPU tensor `[n, ...element]` (its elements are the rows,
//! so it is a list of slices of that tensor), carried like any tensor; reading a row at a GPU
//! index is one kernel, writing one is a kernel that copies the list with the row replaced.
mod rows;

use std::sync::Arc;

use crate::lower::planner::{Known, Planner, Val};
use crate::kernel::TensorId;
use crate::error::Result;
use crate::graph::Node;
use crate::tensor::{DType, Tensor};

/// A partially known shape: `None` = unknown rank; dims `None` = unknown.
pub(crate) type PShape = Option<Vec<Option<usize>>>;

/// One element of a list.
#[derive(Clone, Debug)]
pub(crate) enum Item {
    T(Known),
    /// Row `1` of the stacked tensor `0` (made when read).
    Slice(Known, usize),
}

/// A TensorList / TensorArray while planning.
#[derive(Clone, Debug)]
pub(crate) struct TList {
    pub dtype: DType,
    /// The declared element shape.
    pub elem: PShape,
    pub items: Vec<Option<Item>>,
    /// A TensorArray that may grow.
    pub growable: bool,
}

impl TList {
    /// The program tensors its items live in.
    pub fn device_ids(&self) -> impl Iterator<Item = TensorId> + '_ {
        self.items.iter().flatten().filter_map(|i| match i {
            Item::T(k) | Item::Slice(k, _) => k.id,
        })
    }
}

fn host_ints(node: &Node, v: &Val, what: &str) -> Result<Vec<i64>> {
    match v {
        Val::T(k) => match k.value() {
            Some(t) => t.to_i64_vec(),
            None => Err(node.needs_values(0..node.inputs.len(), format!("{what} is computed on the GPU; it must be known when planning"))),
        },
        other => Err(node.err(format!("{what} is {}, not a tensor", other.kind()))),
    }
}

fn host_int(node: &Node, v: &Val, what: &str) -> Result<i64> {
    let v = host_ints(node, v, what)?;
    match v.as_slice() {
        [x] => Ok(*x),
        _ => Err(node.err(format!("{what} must be a scalar, it has {} values", v.len()))),
    }
}

/// An element-shape input: -1 (unknown rank) or a vector with -1 for unknown dims.
fn elem_shape_input(node: &Node, v: &Val) -> Result<PShape> {
    let Val::T(k) = v else { return Err(node.err(format!("the element shape is {}", v.kind()))) };
    let Some(t) = k.value() else { return Err(node.needs_values(0..node.inputs.len(), "the element shape must be known when planning")) };
    if t.rank() == 0 {
        return Ok(None);
    }
    Ok(Some(t.to_i64_vec()?.into_iter().map(|d| if d < 0 { None } else { Some(d as usize) }).collect()))
}

/// The more specific of two partial shapes (conflicts keep `a`).
fn merge_shapes(a: &PShape, b: &PShape) -> PShape {
    match (a, b) {
        (None, x) | (x, None) => x.clone(),
        (Some(a), Some(b)) if a.len() == b.len() => Some(a.iter().zip(b).map(|(x, y)| x.or(*y)).collect()),
        (a, _) => a.clone(),
    }
}

fn full(s: &PShape) -> Option<Vec<usize>> {
    s.as_ref()?.iter().copied().collect()
}

fn index(node: &Node, i: i64, len: usize, what: &str) -> Result<usize> {
    if i < 0 || i as usize >= len {
        return Err(node.err(format!("{what} {i} is out of range for a list of {len} elements")));
    }
    Ok(i as usize)
}

fn list_arg(node: &Node, v: &Val, what: &str) -> Result<Arc<TList>> {
    match v {
        Val::List(l) => Ok(l.clone()),
        other => Err(node.err(format!("{what} is {}, not a TensorList", other.kind()))),
    }
}

/// An index computed on the GPU (a tensor with no plan-time value).
fn gpu_index(v: &Val) -> Option<&Known> {
    match v {
        Val::T(k) if k.value().is_none() => Some(k),
        _ => None,
    }
}

fn scalar_i32(v: i64) -> Val {
    Val::T(Known::host(Arc::new(Tensor::from_i32(vec![], vec![v as i32]).expect("scalar"))))
}

impl TList {
    /// The element shape, when the declaration or a set element gives it in full.
    pub fn element_shape(&self) -> Option<Vec<usize>> {
        full(&self.elem).or_else(|| (0..self.items.len()).find_map(|k| self.item_shape(k)))
    }
    /// The list whose elements are the rows of `base`.
    pub fn rows_of(base: Known, growable: bool) -> TList {
        let n = base.info.shape.first().copied().unwrap_or(0);
        TList {
            dtype: base.info.dtype,
            elem: Some(base.info.shape[1.min(base.info.shape.len())..].iter().map(|&d| Some(d)).collect()),
            items: (0..n).map(|k| Some(Item::Slice(base.clone(), k))).collect(),
            growable,
        }
    }
    fn item_shape(&self, k: usize) -> Option<Vec<usize>> {
        match self.items.get(k)?.as_ref()? {
            Item::T(x) => Some(x.info.shape.clone()),
            Item::Slice(b, _) => Some(b.info.shape[1..].to_vec()),
        }
    }
}

impl<'a> Planner<'a> {
    pub(crate) fn list_op(&mut self, node: &Node, ins: Vec<Val>) -> Result<Vec<Val>> {
        let arity = |n: usize| -> Result<()> {
            if ins.len() < n {
                return Err(node.err(format!("expected {n} inputs, got {}", ins.len())));
            }
            Ok(())
        };
        let elem_dtype = || -> Result<DType> { node.attr_dtype("element_dtype") };
        match node.op.as_str() {
            "EmptyTensorList" => {
                arity(2)?;
                let elem = elem_shape_input(node, &ins[0])?;
                Ok(vec![Val::List(Arc::new(TList { dtype: elem_dtype()?, elem, items: vec![], growable: true }))])
            }
            "TensorListReserve" => {
                arity(2)?;
                let elem = elem_shape_input(node, &ins[0])?;
                let n = host_int(node, &ins[1], "the number of elements")?;
                if !(0..=1 << 24).contains(&n) {
                    return Err(node.err(format!("{n} elements")));
                }
                Ok(vec![Val::List(Arc::new(TList { dtype: elem_dtype()?, elem, items: vec![None; n as usize], growable: true }))])
            }
            "TensorListFromTensor" => {
                arity(2)?;
                let Val::T(t) = &ins[0] else { return Err(node.err(format!("input 0 is {}", ins[0].kind()))) };
                if t.info.shape.is_empty() {
                    return Err(node.err("the tensor must have at least one dimension"));
                }
                let declared = elem_shape_input(node, &ins[1])?;
                let elem = merge_shapes(&Some(t.info.shape[1..].iter().map(|&d| Some(d)).collect()), &declared);
                let items = (0..t.info.shape[0]).map(|k| Some(Item::Slice(t.clone(), k))).collect();
                Ok(vec![Val::List(Arc::new(TList { dtype: t.info.dtype, elem, items, growable: true }))])
            }
            "TensorListGetItem" => {
                arity(2)?;
                let l = list_arg(node, &ins[0], "input 0")?;
                let want = if ins.len() > 2 { elem_shape_input(node, &ins[2])? } else { None };
                if let Some(k) = gpu_index(&ins[1]) {
                    return Ok(vec![Val::T(self.get_row(node, &l, k)?)]);
                }
                let i = index(node, host_int(node, &ins[1], "the index")?, l.items.len(), "index")?;
                Ok(vec![Val::T(self.item(node, &l, i, &want)?)])
            }
            "TensorListSetItem" => {
                arity(3)?;
                let l = list_arg(node, &ins[0], "input 0")?;
                let Val::T(x) = &ins[2] else { return Err(node.err(format!("the item is {}", ins[2].kind()))) };
                if let Some(k) = gpu_index(&ins[1]) {
                    return Ok(vec![Val::List(Arc::new(self.set_row(node, &l, k, x)?))]);
                }
                let i = host_int(node, &ins[1], "the index")?;
                let mut nl = (*l).clone();
                if i >= 0 && i as usize >= nl.items.len() && node.attr_bool_or("resize_if_index_out_of_bounds", false)? {
                    nl.items.resize(i as usize + 1, None);
                }
                let i = index(node, i, nl.items.len(), "index")?;
                nl.items[i] = Some(Item::T(x.clone()));
                Ok(vec![Val::List(Arc::new(nl))])
            }
            "TensorListStack" | "TensorListGather" => {
                arity(if node.op == "TensorListGather" { 3 } else { 2 })?;
                let l = list_arg(node, &ins[0], "input 0")?;
                let (idx, shape_in) = if node.op == "TensorListGather" {
                    arity(3)?;
                    let idx = host_ints(node, &ins[1], "the indices")?;
                    let idx = idx.iter().map(|&i| index(node, i, l.items.len(), "index")).collect::<Result<Vec<_>>>()?;
                    (idx, &ins[2])
                } else {
                    arity(2)?;
                    ((0..l.items.len()).collect(), &ins[1])
                };
                let want = elem_shape_input(node, shape_in)?;
                Ok(vec![Val::T(self.stack(node, &l, &idx, &want)?)])
            }
            "TensorListLength" => {
                arity(1)?;
                let l = list_arg(node, &ins[0], "input 0")?;
                Ok(vec![scalar_i32(l.items.len() as i64)])
            }
            "TensorListPushBack" => {
                arity(2)?;
                let l = list_arg(node, &ins[0], "input 0")?;
                let Val::T(x) = &ins[1] else { return Err(node.err(format!("the item is {}", ins[1].kind()))) };
                let mut nl = (*l).clone();
                nl.items.push(Some(Item::T(x.clone())));
                Ok(vec![Val::List(Arc::new(nl))])
            }
            "TensorListPopBack" => {
                arity(1)?;
                let l = list_arg(node, &ins[0], "input 0")?;
                if l.items.is_empty() {
                    return Err(node.err("popping from an empty list"));
                }
                let want = if ins.len() > 1 { elem_shape_input(node, &ins[1])? } else { None };
                let x = self.item(node, &l, l.items.len() - 1, &want)?;
                let mut nl = (*l).clone();
                nl.items.pop();
                Ok(vec![Val::List(Arc::new(nl)), Val::T(x)])
            }
            "TensorListElementShape" => {
                arity(1)?;
                let l = list_arg(node, &ins[0], "input 0")?;
                let dt = node.attr_opt_dtype("shape_type")?.unwrap_or(DType::I32);
                let t = match &l.elem {
                    None => Tensor::from_i64(vec![], vec![-1])?,
                    Some(d) => Tensor::from_i64(vec![d.len()], d.iter().map(|x| x.map_or(-1, |v| v as i64)).collect())?,
                };
                Ok(vec![Val::T(Known::host(Arc::new(t.cast(dt)?)))])
            }
            "TensorListScatter" | "TensorListScatterV2" | "TensorListScatterIntoExistingList" => {
                let existing = node.op == "TensorListScatterIntoExistingList";
                arity(3)?;
                let (t, idx_v) = if existing { (&ins[1], &ins[2]) } else { (&ins[0], &ins[1]) };
                let Val::T(t) = t else { return Err(node.err(format!("the tensor is {}", t.kind()))) };
                if t.info.shape.is_empty() {
                    return Err(node.err("the tensor must have at least one dimension"));
                }
                let idx = host_ints(node, idx_v, "the indices")?;
                if idx.len() != t.info.shape[0] {
                    return Err(node.err(format!("{} indices for {} rows", idx.len(), t.info.shape[0])));
                }
                let mut nl = if existing {
                    (*list_arg(node, &ins[0], "input 0")?).clone()
                } else {
                    let elem = merge_shapes(&Some(t.info.shape[1..].iter().map(|&d| Some(d)).collect()), &elem_shape_input(node, &ins[2])?);
                    let mut n = 0usize;
                    if node.op == "TensorListScatterV2" && ins.len() > 3 {
                        n = host_int(node, &ins[3], "the number of elements")?.max(0) as usize;
                    }
                    TList { dtype: t.info.dtype, elem, items: vec![None; n], growable: true }
                };
                for (row, &i) in idx.iter().enumerate() {
                    if i < 0 || i > 1 << 24 {
                        return Err(node.err(format!("index {i} is out of range")));
                    }
                    let i = i as usize;
                    if i >= nl.items.len() {
                        nl.items.resize(i + 1, None);
                    }
                    nl.items[i] = Some(Item::Slice(t.clone(), row));
                }
                Ok(vec![Val::List(Arc::new(nl))])
            }
            "TensorListResize" => {
                arity(2)?;
                let l = list_arg(node, &ins[0], "input 0")?;
                let n = host_int(node, &ins[1], "the size")?;
                if !(0..=1 << 24).contains(&n) {
                    return Err(node.err(format!("size {n}")));
                }
                let mut nl = (*l).clone();
                nl.items.resize(n as usize, None);
                Ok(vec![Val::List(Arc::new(nl))])
            }
            "TensorArrayV3" => {
                arity(1)?;
                let n = host_int(node, &ins[0], "the size")?;
                if !(0..=1 << 24).contains(&n) {
                    return Err(node.err(format!("size {n}")));
                }
                let elem = node.attr_opt_shape("element_shape")?.dims();
                let l = Arc::new(TList {
                    dtype: node.attr_dtype("dtype")?,
                    elem,
                    items: vec![None; n as usize],
                    growable: node.attr_bool_or("dynamic_size", false)?,
                });
                // Handle and flow: the flow carries the contents from op to op.
                Ok(vec![Val::List(l.clone()), Val::List(l)])
            }
            "TensorArrayWriteV3" => {
                arity(4)?;
                let l = self.array_flow(node, &ins[3], &ins[0])?;
                let Val::T(x) = &ins[2] else { return Err(node.err(format!("the value is {}", ins[2].kind()))) };
                if let Some(k) = gpu_index(&ins[1]) {
                    return Ok(vec![Val::List(Arc::new(self.set_row(node, &l, k, x)?))]);
                }
                let i = host_int(node, &ins[1], "the index")?;
                let mut nl = (*l).clone();
                if i >= 0 && i as usize >= nl.items.len() && nl.growable && i < 1 << 24 {
                    nl.items.resize(i as usize + 1, None);
                }
                let i = index(node, i, nl.items.len(), "index")?;
                nl.items[i] = Some(Item::T(x.clone()));
                Ok(vec![Val::List(Arc::new(nl))])
            }
            "TensorArrayReadV3" => {
                arity(3)?;
                let l = self.array_flow(node, &ins[2], &ins[0])?;
                if let Some(k) = gpu_index(&ins[1]) {
                    return Ok(vec![Val::T(self.get_row(node, &l, k)?)]);
                }
                let i = index(node, host_int(node, &ins[1], "the index")?, l.items.len(), "index")?;
                Ok(vec![Val::T(self.item(node, &l, i, &None)?)])
            }
            "TensorArrayGatherV3" => {
                arity(3)?;
                let l = self.array_flow(node, &ins[2], &ins[0])?;
                let idx = host_ints(node, &ins[1], "the indices")?;
                let idx = idx.iter().map(|&i| index(node, i, l.items.len(), "index")).collect::<Result<Vec<_>>>()?;
                let want = node.attr_opt_shape("element_shape")?.dims();
                Ok(vec![Val::T(self.stack(node, &l, &idx, &want)?)])
            }
            "TensorArrayScatterV3" => {
                arity(4)?;
                let l = self.array_flow(node, &ins[3], &ins[0])?;
                let idx = host_ints(node, &ins[1], "the indices")?;
                let Val::T(t) = &ins[2] else { return Err(node.err(format!("the value is {}", ins[2].kind()))) };
                if t.info.shape.first() != Some(&idx.len()) {
                    return Err(node.err(format!("{} indices for a value of shape {:?}", idx.len(), t.info.shape)));
                }
                let mut nl = (*l).clone();
                for (row, &i) in idx.iter().enumerate() {
                    if i >= 0 && i as usize >= nl.items.len() && nl.growable && i < 1 << 24 {
                        nl.items.resize(i as usize + 1, None);
                    }
                    let i = index(node, i, nl.items.len(), "index")?;
                    nl.items[i] = Some(Item::Slice(t.clone(), row));
                }
                Ok(vec![Val::List(Arc::new(nl))])
            }
            "TensorArraySizeV3" => {
                arity(2)?;
                let l = self.array_flow(node, &ins[1], &ins[0])?;
                Ok(vec![scalar_i32(l.items.len() as i64)])
            }
            "TensorArrayCloseV3" => Ok(vec![]),
            _ => Err(node.err("internal: not a list op")),
        }
    }

    /// The contents of a TensorArray: its flow input (or its handle when the flow is not a list).
    fn array_flow(&mut self, node: &Node, flow: &Val, handle: &Val) -> Result<Arc<TList>> {
        match (flow, handle) {
            (Val::List(l), _) | (_, Val::List(l)) => Ok(l.clone()),
            _ => Err(node.err(format!("the TensorArray flow is {}", flow.kind()))),
        }
    }

}
