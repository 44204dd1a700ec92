//! Shared index math of SpaceToBatchND and BatchToSpaceND (and their 4-D forms SpaceToBatch,
//! BatchToSpace). The input is seen as [batch, spatial_1..spatial_M, rest]; both ops are a
//! zero-pad or crop composed with a transposing reshape, lowered as a pad kernel plus a strided
//! copy (or a strided copy plus a slice).
use std::sync::Arc;

use crate::kernel::codes::PadMode;
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{grid, Binding, Lower, Meta, Operand, ShaderVariant};
use crate::kernel::meta::{dims, w, PadMeta};
use crate::ops::util::{gather_data, ints, strided_copy, strides};
use crate::ops::TensorInfo;
use crate::shaders;
use crate::tensor::{Data, Tensor};

/// Block sizes and (before, after) paddings or crops of the M spatial dims.
#[derive(Clone, Debug, PartialEq)]
pub struct Blocks {
    pub block: Vec<usize>,
    pub edges: Vec<(usize, usize)>,
}

impl Blocks {
    /// From the block_shape and paddings/crops tensors (or a `block_size` attribute).
    pub fn new(node: &Node, block: &[i64], edges: &Tensor, rank: usize) -> Result<Blocks> {
        let m = block.len();
        if m == 0 || m + 1 > rank {
            return Err(node.err(format!("{m} block dims do not fit an input of rank {rank}")));
        }
        let e = ints(node, edges)?;
        if e.len() != 2 * m {
            return Err(node.err(format!("paddings/crops of shape {:?} do not match {m} block dims", edges.shape())));
        }
        let block = block
            .iter()
            .map(|&b| usize::try_from(b).ok().filter(|&b| b >= 1).ok_or_else(|| node.err(format!("block size {b} must be >= 1"))))
            .collect::<Result<Vec<_>>>()?;
        let edges = e
            .chunks(2)
            .map(|c| match (usize::try_from(c[0]), usize::try_from(c[1])) {
                (Ok(a), Ok(b)) => Ok((a, b)),
                _ => Err(node.err("paddings/crops must be non-negative")),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Blocks { block, edges })
    }
    fn m(&self) -> usize {
        self.block.len()
    }
    fn prod(&self) -> usize {
        self.block.iter().product()
    }
    /// [batch, spatial…, rest] of an input shape.
    fn view(&self, shape: &[usize]) -> (usize, Vec<usize>, usize) {
        let m = self.m();
        (shape[0], shape[1..=m].to_vec(), shape[m + 1..].iter().product())
    }

    /// SpaceToBatchND's output shape.
    pub fn space_to_batch_shape(&self, node: &Node, shape: &[usize]) -> Result<Vec<usize>> {
        let m = self.m();
        let mut out = vec![shape[0] * self.prod()];
        for i in 0..m {
            let p = shape[1 + i] + self.edges[i].0 + self.edges[i].1;
            if p % self.block[i] != 0 {
                return Err(node.err(format!("padded size {p} of spatial dim {i} is not a multiple of the block {}", self.block[i])));
            }
            out.push(p / self.block[i]);
        }
        out.extend_from_slice(&shape[m + 1..]);
        Ok(out)
    }

    /// BatchToSpaceND's output shape.
    pub fn batch_to_space_shape(&self, node: &Node, shape: &[usize]) -> Result<Vec<usize>> {
        let m = self.m();
        if shape[0] % self.prod() != 0 {
            return Err(node.err(format!("batch {} is not a multiple of the block size product {}", shape[0], self.prod())));
        }
        let mut out = vec![shape[0] / self.prod()];
        for i in 0..m {
            let full = shape[1 + i] * self.block[i];
            let (a, b) = self.edges[i];
            if a + b > full {
                return Err(node.err(format!("crops {a}+{b} exceed the size {full} of spatial dim {i}")));
            }
            out.push(full - a - b);
        }
        out.extend_from_slice(&shape[m + 1..]);
        Ok(out)
    }

    /// For each SpaceToBatchND output element: its input element, or None in the padding.
    pub fn space_to_batch_sources(&self, shape: &[usize], out: &[usize]) -> Vec<Option<usize>> {
        let (b, sp, rest) = self.view(shape);
        let m = self.m();
        let ist = strides(&[&[b][..], &sp, &[rest]].concat());
        let mut v = Vec::with_capacity(out.iter().product());
        for ob in 0..out[0] {
            let (mut off, bi) = (ob / b, ob % b);
            let mut offs = vec![0; m];
            for i in (0..m).rev() {
                offs[i] = off % self.block[i];
                off /= self.block[i];
            }
            for_each_coord(&out[1..=m], |oc| {
                let mut base = Some(bi * ist[0]);
                for i in 0..m {
                    let p = (oc[i] * self.block[i] + offs[i]) as i64 - self.edges[i].0 as i64;
                    base = base.filter(|_| p >= 0 && (p as usize) < sp[i]).map(|x| x + p as usize * ist[1 + i]);
                }
                v.extend((0..rest).map(|r| base.map(|x| x + r)));
            });
        }
        v
    }

    /// For each BatchToSpaceND output element: its input element.
    pub fn batch_to_space_sources(&self, shape: &[usize], out: &[usize]) -> Vec<usize> {
        let (_, sp, rest) = self.view(shape);
        let m = self.m();
        let b = out[0];
        let ist = strides(&[&[shape[0]][..], &sp, &[rest]].concat());
        let mut v = Vec::with_capacity(out.iter().product());
        for bi in 0..b {
            for_each_coord(&out[1..=m], |oc| {
                let (mut blk, mut base) = (0, 0);
                for i in 0..m {
                    let f = oc[i] + self.edges[i].0;
                    blk = blk * self.block[i] + f % self.block[i];
                    base += (f / self.block[i]) * ist[1 + i];
                }
                base += (blk * b + bi) * ist[0];
                v.extend((0..rest).map(|r| base + r));
            });
        }
        v
    }
}

/// Calls `f` with every coordinate of `shape`, row-major.
fn for_each_coord(shape: &[usize], mut f: impl FnMut(&[usize])) {
    let n: usize = shape.iter().product();
    let mut c = vec![0; shape.len()];
    for _ in 0..n {
        f(&c);
        for d in (0..shape.len()).rev() {
            c[d] += 1;
            if c[d] < shape[d] {
                break;
            }
            c[d] = 0;
        }
    }
}

/// Host result from per-element sources (None: zero).
pub fn fold_sources(x: &Tensor, out: Vec<usize>, src: impl Iterator<Item = Option<usize>>) -> Result<Vec<Arc<Tensor>>> {
    let zero = crate::ops::util::tensor_from_i64(x.dtype(), vec![1], vec![0])?;
    let both: Data = crate::ops::math::select::concat_data(x.data(), zero.data())
        .ok_or_else(|| crate::Error::Tensor(format!("{} tensors cannot be moved", x.dtype())))?;
    let n = x.len();
    Ok(vec![Arc::new(Tensor::new(x.dtype(), out, gather_data(&both, src.map(|s| s.unwrap_or(n))))?)])
}

/// Output info of either op.
pub fn info(x: &TensorInfo, shape: Vec<usize>) -> Vec<TensorInfo> {
    vec![TensorInfo::new(x.dtype, shape)]
}

/// SpaceToBatchND on the GPU: zero-pad into a temp (when there is padding), then one strided
/// copy that moves each block offset to the batch dim.
pub fn lower_space_to_batch(cx: &mut Lower, node: &Node, bl: &Blocks, x: &Operand, out: &Operand) -> Result<()> {
    let (b, sp, rest) = bl.view(&x.shape);
    let m = bl.m();
    let in3: Vec<usize> = [&[b][..], &sp, &[rest]].concat();
    let padded_shape: Vec<usize> = [&[b][..], &(0..m).map(|i| sp[i] + bl.edges[i].0 + bl.edges[i].1).collect::<Vec<_>>(), &[rest]].concat();
    let src = if bl.edges.iter().any(|&(a, c)| a + c > 0) {
        if in3.len() > crate::kernel::MAX_RANK {
            return Err(node.err(format!("{m} spatial dims are above the supported {}", crate::kernel::MAX_RANK - 2)));
        }
        let id = cx.temp(x.dtype, padded_shape.clone());
        let n: usize = padded_shape.iter().product();
        let before: Vec<usize> = [&[0][..], &bl.edges.iter().map(|e| e.0).collect::<Vec<_>>(), &[0]].concat();
        let meta = Meta::from(PadMeta { n: w(n), rank: w(in3.len()), value: 0, value_hi: 0, out_shape: dims(&padded_shape, 1), in_shape: dims(&in3, 1), before: dims(&before, 0), in_strides: dims(&strides(&in3), 0) });
        cx.kernel(ShaderVariant::new(&shaders::PAD).set("MODE", PadMode::Constant), grid(n, 256), meta, vec![Binding::In(x.id), Binding::Out(id)]);
        Operand { id, dtype: x.dtype, storage: cx.storage_of(x.dtype), shape: padded_shape.clone(), value: None }
    } else {
        x.clone()
    };
    let pst = strides(&padded_shape);
    let mut view = bl.block.clone();
    let mut st: Vec<i64> = (0..m).map(|i| pst[1 + i] as i64).collect();
    view.push(b);
    st.push(pst[0] as i64);
    for i in 0..m {
        view.push(padded_shape[1 + i] / bl.block[i]);
        st.push((bl.block[i] * pst[1 + i]) as i64);
    }
    view.push(rest);
    st.push(1);
    strided_copy(cx, node, &src, &Operand { shape: view, ..out.clone() }, 0, &st)
}

/// BatchToSpaceND on the GPU: one strided copy that interleaves the block offsets into the
/// spatial dims (into a temp when there are crops), then a slice.
pub fn lower_batch_to_space(cx: &mut Lower, node: &Node, bl: &Blocks, x: &Operand, out: &Operand) -> Result<()> {
    let (_, sp, rest) = bl.view(&x.shape);
    let m = bl.m();
    let b = out.shape[0];
    // Input seen as [block_1..block_M, b, spatial…, rest].
    let in_view: Vec<usize> = [&bl.block[..], &[b], &sp, &[rest]].concat();
    let ist = strides(&in_view);
    let mut view = vec![b];
    let mut st = vec![ist[m] as i64];
    for i in 0..m {
        view.extend([sp[i], bl.block[i]]);
        st.extend([ist[m + 1 + i] as i64, ist[i] as i64]);
    }
    view.push(rest);
    st.push(1);
    let full: Vec<usize> = [&[b][..], &(0..m).map(|i| sp[i] * bl.block[i]).collect::<Vec<_>>(), &[rest]].concat();
    if bl.edges.iter().all(|&(a, c)| a + c == 0) {
        return strided_copy(cx, node, x, &Operand { shape: view, ..out.clone() }, 0, &st);
    }
    let id = cx.temp(x.dtype, full.clone());
    let tmp = Operand { id, dtype: x.dtype, storage: cx.storage_of(x.dtype), shape: full.clone(), value: None };
    strided_copy(cx, node, x, &Operand { shape: view, ..tmp.clone() }, 0, &st)?;
    let fst = strides(&full);
    let base: usize = (0..m).map(|i| bl.edges[i].0 * fst[1 + i]).sum();
    let cropped: Vec<usize> = [&out.shape[..=m], &[rest]].concat();
    strided_copy(cx, node, &tmp, &Operand { shape: cropped, ..out.clone() }, base as i64, &fst.iter().map(|&s| s as i64).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> Node {
        Node { name: "s".into(), op: "SpaceToBatchND".into(), inputs: vec![], controls: vec![], attrs: Default::default(), device: String::new() }
    }

    #[test]
    fn space_to_batch_then_back_is_identity() {
        let pads = Tensor::from_i32(vec![2, 2], vec![0, 0, 1, 1]).unwrap();
        let bl = Blocks::new(&node(), &[2, 2], &pads, 4).unwrap();
        let shape = [1, 4, 6, 2];
        let out = bl.space_to_batch_shape(&node(), &shape).unwrap();
        assert_eq!(out, vec![4, 2, 4, 2]);
        let src = bl.space_to_batch_sources(&shape, &out);
        // Output batch 0 is block offset (0, 0): rows 0, 2 and padded columns -1, 1, 3, 5.
        assert_eq!(&src[..4], &[None, None, Some(2), Some(3)]);
        let back = bl.batch_to_space_sources(&out, &[1, 4, 8, 2]);
        let round: Vec<Option<usize>> = back.iter().map(|&i| src[i]).collect();
        // Crops [1, 1] on the width undo the padding.
        let crops = Blocks { block: vec![2, 2], edges: vec![(0, 0), (1, 1)] };
        assert_eq!(crops.batch_to_space_shape(&node(), &out).unwrap(), vec![1, 4, 6, 2]);
        let cropped = crops.batch_to_space_sources(&out, &[1, 4, 6, 2]);
        let ident: Vec<Option<usize>> = cropped.iter().map(|&i| src[i]).collect();
        assert_eq!(ident, (0..48).map(Some).collect::<Vec<_>>());
        assert_eq!(round.len(), 64);
    }

    #[test]
    fn shapes_are_checked() {
        let pads = Tensor::from_i32(vec![2, 2], vec![0, 0, 0, 1]).unwrap();
        let bl = Blocks::new(&node(), &[2, 2], &pads, 4).unwrap();
        assert!(bl.space_to_batch_shape(&node(), &[1, 4, 6, 2]).is_err());
        assert!(Blocks::new(&node(), &[0, 2], &pads, 4).is_err());
        assert!(bl.batch_to_space_shape(&node(), &[3, 2, 2, 1]).is_err());
    }
}
