//! NonMaxSuppression (V1–V5): greedy selection of boxes by score, suppressing boxes whose IoU
//! with a selected box exceeds `iou_threshold` (V5 with `soft_nms_sigma` > 0: soft-NMS, which
//! decays scores by exp(-IoU²/(2σ)) instead). max_output_size, the thresholds and sigma are
//! host inputs.
//!
//! Data-dependent sizes: when boxes and scores are known at plan time, the op runs on the CPU
//! then (TensorFlow's algorithm) and every output has TensorFlow's shape. Otherwise one GPU
//! workgroup runs it: with `pad_to_max_output_size` (V4/V5) the outputs have TensorFlow's fixed
//! shape [max_output_size] (zero padded) and `valid_outputs`; without it (V1–V3, and V4/V5
//! unpadded) TensorFlow returns [number selected] — the output buffer then holds
//! min(max_output_size, boxes) entries, a fetch is cut to the number selected, and an op that
//! consumes it is refused with an error (use the padded form).
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::meta::{w, NmsMeta};
use crate::kernel::{Binding, Lower, Meta, Operand, ShaderVariant, LOOP_BUDGET};
use crate::ops::util::host;
use crate::ops::{Op, TensorInfo};
use crate::shaders;
use crate::tensor::{DType, Tensor};

/// One NMS op version.
/// Its attributes (V1's `iou_threshold`, V4/V5's `pad_to_max_output_size`) are decoded when the
/// model is loaded.
pub struct Nms {
    pub version: u32,
    iou: f32,
    pad: bool,
}

struct Params {
    max_out: usize,
    iou: f32,
    score: f32,
    sigma: f32,
    pad: bool,
}

fn scalar_f(node: &Node, t: &Tensor, what: &str) -> Result<f32> {
    let v = t.to_f32_vec()?;
    match v.as_slice() {
        [x] => Ok(*x),
        _ => Err(node.err(format!("{what} must be a scalar, got shape {:?}", t.shape()))),
    }
}

impl Nms {
    /// The op of one node of this version, its attributes decoded.
    pub fn build(node: &Node, version: u32) -> Result<Nms> {
        let iou = if version == 1 { node.attr_opt_float("iou_threshold")?.unwrap_or(0.5) } else { 0.5 };
        let pad = version >= 4 && node.attr_bool_or("pad_to_max_output_size", false)?;
        Ok(Nms { version, iou, pad })
    }
    fn outputs(&self) -> usize {
        match self.version {
            4 => 2,
            5 => 3,
            _ => 1,
        }
    }
    /// Inputs 2.. are the host parameters.
    fn params(&self, node: &Node, vals: &[Option<&Tensor>]) -> Result<Params> {
        let get = |i: usize| -> Result<&Tensor> {
            vals.get(i).copied().flatten().ok_or_else(|| node.needs_values([i], format!("input {i} must be known when planning")))
        };
        let mo = get(2)?.to_i64_vec()?;
        let max_out = match mo.as_slice() {
            [x] if *x >= 0 => *x as usize,
            _ => return Err(node.err(format!("max_output_size must be a non-negative scalar, got {mo:?}"))),
        };
        let iou = if self.version == 1 {
            self.iou
        } else {
            scalar_f(node, get(3)?, "iou_threshold")?
        };
        if !(0.0..=1.0).contains(&iou) {
            return Err(node.err(format!("iou_threshold must be in [0, 1], got {iou}")));
        }
        let score = if self.version >= 3 { scalar_f(node, get(4)?, "score_threshold")? } else { f32::NEG_INFINITY };
        let sigma = if self.version == 5 { scalar_f(node, get(5)?, "soft_nms_sigma")? } else { 0.0 };
        if sigma < 0.0 {
            return Err(node.err(format!("soft_nms_sigma must be non-negative, got {sigma}")));
        }
        let pad = self.pad;
        Ok(Params { max_out, iou, score, sigma, pad })
    }
    fn n_params(&self) -> usize {
        match self.version {
            1 => 3,
            2 => 4,
            3 | 4 => 5,
            _ => 6,
        }
    }
}

fn check_shapes(node: &Node, boxes: &[usize], scores: &[usize]) -> Result<usize> {
    if boxes.len() != 2 || boxes[1] != 4 || scores != [boxes[0]] {
        return Err(node.err(format!("boxes must be [N, 4] and scores [N], got {boxes:?} and {scores:?}")));
    }
    Ok(boxes[0])
}

fn iou(b: &[f32], i: usize, j: usize) -> f32 {
    let (bi, bj) = (&b[i * 4..i * 4 + 4], &b[j * 4..j * 4 + 4]);
    let (ymin_i, xmin_i, ymax_i, xmax_i) = (bi[0].min(bi[2]), bi[1].min(bi[3]), bi[0].max(bi[2]), bi[1].max(bi[3]));
    let (ymin_j, xmin_j, ymax_j, xmax_j) = (bj[0].min(bj[2]), bj[1].min(bj[3]), bj[0].max(bj[2]), bj[1].max(bj[3]));
    let area_i = (ymax_i - ymin_i) * (xmax_i - xmin_i);
    let area_j = (ymax_j - ymin_j) * (xmax_j - xmin_j);
    if area_i <= 0.0 || area_j <= 0.0 {
        return 0.0;
    }
    let ih = (ymax_i.min(ymax_j) - ymin_i.max(ymin_j)).max(0.0);
    let iw = (xmax_i.min(xmax_j) - xmin_i.max(xmin_j)).max(0.0);
    let inter = ih * iw;
    inter / (area_i + area_j - inter)
}

#[derive(Clone, Copy)]
struct Candidate {
    index: usize,
    score: f32,
    begin: usize,
}

impl PartialEq for Candidate {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Candidate {
    /// The heap's top: the highest score, then the lowest index (TensorFlow's comparator).
    fn cmp(&self, o: &Self) -> Ordering {
        self.score.partial_cmp(&o.score).unwrap_or(Ordering::Equal).then(o.index.cmp(&self.index))
    }
}

/// TensorFlow's `DoNonMaxSuppressionOp` on the CPU: (selected indices, their scores).
fn select(p: &Params, boxes: &[f32], scores: &[f32]) -> (Vec<i32>, Vec<f32>) {
    let soft = p.sigma > 0.0;
    let scale = if soft { -0.5 / p.sigma } else { 0.0 };
    let mut heap: BinaryHeap<Candidate> = scores
        .iter()
        .enumerate()
        .filter(|(_, &s)| s > p.score)
        .map(|(index, &score)| Candidate { index, score, begin: 0 })
        .collect();
    let mut sel: Vec<usize> = Vec::new();
    let mut sel_scores: Vec<f32> = Vec::new();
    while sel.len() < p.max_out {
        let Some(mut c) = heap.pop() else { break };
        let original = c.score;
        let mut hard = false;
        let mut j = sel.len();
        while j > c.begin {
            j -= 1;
            let sim = iou(boxes, c.index, sel[j]);
            let w = if soft || sim <= p.iou { (scale * sim * sim).exp() } else { 0.0 };
            c.score *= w;
            if !soft && sim > p.iou {
                hard = true;
                break;
            }
            if c.score <= p.score {
                break;
            }
        }
        c.begin = sel.len();
        if !hard {
            if c.score == original {
                sel.push(c.index);
                sel_scores.push(c.score);
                continue;
            }
            if c.score > p.score {
                heap.push(c);
            }
        }
    }
    (sel.into_iter().map(|i| i as i32).collect(), sel_scores)
}

impl Op for Nms {
    fn is_host_input(&self, _node: &Node, i: usize) -> bool {
        i >= 2
    }
    fn fold(&self, node: &Node, ins: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        Some((|| {
            crate::ops::util::arity(node, ins.len(), self.n_params())?;
            let n = check_shapes(node, ins[0].shape(), ins[1].shape())?;
            let vals: Vec<Option<&Tensor>> = ins.iter().map(|t| Some(&**t)).collect();
            let p = self.params(node, &vals)?;
            let (mut idx, mut sc) = select(&p, &ins[0].to_f32_vec()?, &ins[1].to_f32_vec()?);
            let valid = idx.len();
            if p.pad {
                idx.resize(p.max_out, 0);
                sc.resize(p.max_out, 0.0);
            }
            let _ = n;
            let mut outs = vec![Arc::new(Tensor::from_i32(vec![idx.len()], idx)?)];
            if self.version == 5 {
                let t = Tensor::from_f32(vec![sc.len()], sc)?;
                outs.push(Arc::new(if ins[1].dtype() == DType::F32 { t } else { t.cast(ins[1].dtype())? }));
            }
            if self.version >= 4 {
                outs.push(Arc::new(Tensor::from_i32(vec![], vec![valid as i32])?));
            }
            Ok(outs)
        })())
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        crate::ops::util::arity(node, ins.len(), self.n_params())?;
        let n = check_shapes(node, &ins[0].shape, &ins[1].shape)?;
        let vals: Vec<Option<&Tensor>> = ins.iter().map(|t| t.value.as_deref()).collect();
        let _ = host(node, ins, 2)?;
        let p = self.params(node, &vals)?;
        let len = if p.pad { p.max_out } else { p.max_out.min(n) };
        let mut outs = vec![TensorInfo::new(DType::I32, vec![len])];
        if self.version == 5 {
            outs.push(TensorInfo::new(ins[1].dtype, vec![len]));
        }
        if self.version >= 4 {
            outs.push(TensorInfo::new(DType::I32, vec![]));
        }
        let _ = self.outputs();
        Ok(outs)
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let vals: Vec<Option<&Tensor>> = ins.iter().map(|t| t.value.as_deref()).collect();
        let p = self.params(node, &vals)?;
        let n = ins[0].shape[0];
        let len = outs[0].shape[0];
        let idx = &outs[0];
        let scores = if self.version == 5 { outs[1].id } else { cx.temp(DType::F32, vec![len]) };
        let count = if self.version >= 4 { outs[outs.len() - 1].id } else { cx.temp(DType::I32, vec![]) };
        let work = cx.temp(DType::F32, vec![n]);
        let alive = cx.temp(DType::I32, vec![n]);
        let soft = p.sigma > 0.0;
        let max_out = p.max_out.min(n);
        // Loop steps of a round (two walks over the boxes, a tree of 8) and of the first
        // dispatch's initialisation and the last's padding: the rounds go in dispatches that
        // each fit the loop budget.
        let walk = n.div_ceil(256) + 1;
        let fixed = walk + len.div_ceil(256) + 1;
        let per_round = 2 * walk + 12;
        if fixed + per_round > LOOP_BUDGET {
            return Err(node.err(format!("{n} boxes are too many for one workgroup")));
        }
        let rounds = ((LOOP_BUDGET - fixed) / per_round).max(1);
        if max_out.div_ceil(rounds) > crate::ops::util::MAX_WINDOWS {
            return Err(node.err(format!("{max_out} rounds over {n} boxes are too many")));
        }
        let v = ShaderVariant::new(&shaders::NMS).set("SOFT", soft as i64);
        let mut first = 0;
        loop {
            let meta = Meta::from(NmsMeta {
                n: w(n), max_out: w(max_out), pad: w(len), first: w(first),
                iou_threshold: p.iou, score_threshold: p.score, scale: if soft { -0.5 / p.sigma } else { 0.0 }, rounds: w(rounds),
            });
            cx.kernel(v.clone(), [1, 1, 1], meta, vec![
                Binding::In(ins[0].id), Binding::In(ins[1].id), Binding::Out(work), Binding::Out(alive),
                Binding::Out(idx.id), Binding::Out(scores), Binding::Out(count),
            ]);
            first += rounds;
            if first >= max_out {
                break;
            }
        }
        if !p.pad {
            cx.dynamic_length(idx, count);
            if self.version == 5 {
                cx.dynamic_length(&outs[1], count);
            }
        }
        Ok(())
    }
}
