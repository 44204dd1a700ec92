//! The GPU side of plan-time lists: a list's rows as one stacked tensor, rows read and
//! written by kernels, items sliced out of stacked tensors.
use std::sync::Arc;

use super::{full, merge_shapes, Item, PShape, TList};
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::meta::{w, ListRowMeta};
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ProgTensor, ShaderVariant, Source, Storage};
use crate::lower::planner::{Known, Planner};
use crate::ops::util::{concat_host, copy_into, gather_data, strided_copy, strides};
use crate::tensor::{DType, Tensor};

impl<'a> Planner<'a> {
    /// The list as one stacked tensor `[n, ...element]` (a view when its elements are already
    /// the rows of one tensor).
    pub(crate) fn stacked(&mut self, node: &Node, l: &TList) -> Result<Known> {
        let idx: Vec<usize> = (0..l.items.len()).collect();
        self.stack(node, l, &idx, &None)
    }

    /// Row `idx` (computed on the GPU) of a list.
    pub(super) fn get_row(&mut self, node: &Node, l: &TList, idx: &Known) -> Result<Known> {
        let base = self.stacked(node, l)?;
        let rest = base.info.shape[1..].to_vec();
        let row_len: usize = rest.iter().product();
        let b = self.operand(&base, node)?;
        let i = self.operand(idx, node)?;
        let out = self.activation(format!("{}:0", node.name), base.info.dtype, rest.clone());
        let meta = Meta::from(ListRowMeta { n: w(row_len * base.info.shape[0]), row_len: w(row_len), rows: w(base.info.shape[0]), _pad: 0 });
        let mut cx = Lower::new(&mut self.prog, node);
        cx.kernel(ShaderVariant::new(&crate::shaders::LIST_GET_ROW), grid(row_len, 256), meta, vec![Binding::In(i.id), Binding::In(b.id), Binding::Out(out)]);
        Ok(Known::device(out, base.info.dtype, rest))
    }

    /// The list with row `idx` (computed on the GPU) replaced by `x`.
    pub(super) fn set_row(&mut self, node: &Node, l: &TList, idx: &Known, x: &Known) -> Result<TList> {
        let base = self.stacked(node, l)?;
        let rest = &base.info.shape[1..];
        if x.info.shape != rest {
            return Err(node.err(format!("writing an element of shape {:?} into a list of {:?}", x.info.shape, rest)));
        }
        let row_len: usize = rest.iter().product();
        let n = base.info.shape.iter().product::<usize>();
        let b = self.operand(&base, node)?;
        let i = self.operand(idx, node)?;
        let v = self.operand(x, node)?;
        let out = self.activation(format!("{}:0", node.name), base.info.dtype, base.info.shape.clone());
        let meta = Meta::from(ListRowMeta { n: w(n), row_len: w(row_len), rows: w(base.info.shape[0]), _pad: 0 });
        let mut cx = Lower::new(&mut self.prog, node);
        cx.kernel(
            ShaderVariant::new(&crate::shaders::LIST_SET_ROW),
            grid(n, 256),
            meta,
            vec![Binding::In(i.id), Binding::In(b.id), Binding::In(v.id), Binding::Out(out)],
        );
        Ok(TList::rows_of(Known::device(out, base.info.dtype, base.info.shape.clone()), l.growable))
    }

    /// Element `k` of a list as a tensor. Unset elements are zeros of the element shape.
    pub(super) fn item(&mut self, node: &Node, l: &TList, k: usize, want: &PShape) -> Result<Known> {
        match &l.items[k] {
            Some(Item::T(x)) => Ok(x.clone()),
            Some(Item::Slice(b, i)) => self.slice(node, b, *i),
            None => {
                let shape = full(&merge_shapes(&l.elem, want))
                    .or_else(|| (0..l.items.len()).find_map(|j| l.item_shape(j)))
                    .ok_or_else(|| node.err(format!("element {k} was never set and the element shape is not fully known")))?;
                Ok(Known::host(Arc::new(Tensor::zeros(l.dtype, shape)?)))
            }
        }
    }

    /// Row `i` of a stacked tensor.
    pub(super) fn slice(&mut self, node: &Node, b: &Known, i: usize) -> Result<Known> {
        let rest = b.info.shape[1..].to_vec();
        let n: usize = rest.iter().product();
        if let Some(t) = b.value() {
            let data = gather_data(t.data(), i * n..(i + 1) * n);
            return Ok(Known::host(Arc::new(Tensor::new(t.dtype(), rest, data)?)));
        }
        let src = self.operand(b, node)?;
        let out = self.activation(format!("{}/item{i}", node.name), b.info.dtype, rest.clone());
        let dst = Operand { id: out, dtype: b.info.dtype, storage: self.prog.tensors[out].storage, shape: rest.clone(), value: None };
        let st: Vec<i64> = strides(&rest).into_iter().map(|s| s as i64).collect();
        let mut cx = Lower::new(&mut self.prog, node);
        strided_copy(&mut cx, node, &src, &dst, (i * n) as i64, &st)?;
        Ok(Known::device(out, b.info.dtype, rest))
    }

    /// Elements `idx` of a list stacked along a new first axis.
    pub(super) fn stack(&mut self, node: &Node, l: &TList, idx: &[usize], want: &PShape) -> Result<Known> {
        let declared = merge_shapes(&l.elem, want);
        let shape = idx
            .iter()
            .find_map(|&k| l.item_shape(k))
            .or_else(|| full(&declared))
            .or_else(|| (0..l.items.len()).find_map(|j| l.item_shape(j)))
            .ok_or_else(|| node.err("the element shape is not known: no element was set and the declared shape is partial"))?;
        for &k in idx {
            if let Some(s) = l.item_shape(k) {
                if s != shape {
                    return Err(node.err(format!("elements have shapes {shape:?} and {s:?}; they cannot be stacked")));
                }
            }
        }
        let mut out_shape = vec![idx.len()];
        out_shape.extend_from_slice(&shape);
        let n: usize = shape.iter().product();
        if Storage::of(l.dtype).is_none() {
            return Err(node.err(format!("a list of {} cannot be stacked on the GPU", l.dtype)));
        }
        // Elements that are rows of one GPU tensor, in order: a view of it.
        let first_base = match idx.first().and_then(|&k| l.items[k].as_ref()) {
            Some(Item::Slice(b, 0)) if b.id.is_some() && b.info.shape[0] == idx.len() => Some(b),
            _ => None,
        };
        if let Some(b) = first_base {
            let all = idx.iter().enumerate().all(|(j, &k)| matches!(&l.items[k], Some(Item::Slice(c, r)) if c.id == b.id && *r == j));
            if all {
                let root = self.prog.root(b.id.unwrap_or(0));
                return Ok(self.view(node, root, l.dtype, out_shape));
            }
        }
        // One GPU element: a view of it.
        if let [k] = idx {
            if let Some(Item::T(x)) = &l.items[*k] {
                if let (Some(id), None) = (x.id, x.value()) {
                    let root = self.prog.root(id);
                    return Ok(self.view(node, root, l.dtype, out_shape));
                }
            }
        }
        let items: Vec<Known> = idx.iter().map(|&k| self.item(node, l, k, &Some(shape.iter().map(|&d| Some(d)).collect()))).collect::<Result<_>>()?;
        // All known on the host: stack on the host.
        let host: Option<Vec<Tensor>> = items.iter().map(|x| x.value().map(|t| (**t).clone())).collect();
        if let Some(host) = host {
            let t = if host.is_empty() {
                Tensor::zeros(l.dtype, out_shape)?
            } else {
                // Rows [1, ...element] concatenated along the first axis.
                let mut row = vec![1];
                row.extend_from_slice(&shape);
                let rows = host.into_iter().map(|t| t.reshape(row.clone())).collect::<Result<Vec<_>>>()?;
                concat_host(&rows.iter().collect::<Vec<_>>(), 0)?.reshape(out_shape)?
            };
            return Ok(Known::host(Arc::new(t)));
        }
        let out = self.activation(format!("{}:0", node.name), l.dtype, out_shape.clone());
        let dst = Operand { id: out, dtype: l.dtype, storage: self.prog.tensors[out].storage, shape: out_shape.clone(), value: None };
        let st = strides(&shape);
        for (j, x) in items.iter().enumerate() {
            let src = self.operand(x, node)?;
            let mut cx = Lower::new(&mut self.prog, node);
            copy_into(&mut cx, node, &src, &dst, j * n, &st)?;
        }
        Ok(Known::device(out, l.dtype, out_shape))
    }

    /// A view of tensor `root` with another shape.
    pub(super) fn view(&mut self, node: &Node, root: usize, dtype: DType, shape: Vec<usize>) -> Known {
        let storage = self.prog.storage_of(dtype);
        self.prog.tensors.push(ProgTensor { name: format!("{}:0", node.name), dtype, storage, shape: shape.clone(), source: Source::Alias(root) });
        Known::device(self.prog.tensors.len() - 1, dtype, shape)
    }
}
