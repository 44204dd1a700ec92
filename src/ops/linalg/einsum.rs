//! Einsum with one or two operands. Two operands: every label is a batch label (in both inputs
//! and the output), a contracted label (in both inputs only), or a free label of one input (in
//! it and the output). The product is one GEMM kernel addressed through strides: label groups
//! that are contiguous in memory merge into one GEMM dimension, so 'ij,jk->ik', 'bij,bjk->bik',
//! 'bhqd,bhkd->bhqk', 'bqhd,bkhd->bhqk' and Keras' EinsumDense/MultiHeadAttention equations
//! ('abc,cde->abde', 'aecd,abcd->acbe', 'acbe,aecd->abcd', 'abcd,cde->abe') need no copies.
//! Operands (or the output) that do not fit are first copied to a canonical layout. `...`
//! broadcasts like NumPy. One operand: a transpose. Sums over a label of one operand only,
//! and repeated labels (diagonals, traces), are reported as unsupported.
use std::collections::HashMap;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::ops::linalg::gemm::{Epilogue, Gemm};
use crate::ops::util::{strided_copy, strides};
use crate::ops::{Op, TensorInfo};

/// Einsum, its `equation` read when the model is loaded (and its terms' syntax checked then:
/// labels, ellipses); the shapes are known only when planning.
pub struct Einsum {
    /// The equation as written (for messages).
    text: String,
    /// Without whitespace.
    eq: String,
}

impl Einsum {
    pub fn build(node: &Node) -> Result<Einsum> {
        let text = node.attr_string("equation")?;
        let eq: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let (lhs, rhs) = match eq.split_once("->") {
            Some((l, r)) => (l, Some(r)),
            None => (eq.as_str(), None),
        };
        for t in lhs.split(',').chain(rhs) {
            labels(node, &eq, t)?;
        }
        Ok(Einsum { text, eq })
    }
}

/// The labels of one term of `eq`, with the ellipsis kept as a marker '.'.
fn labels(node: &Node, eq: &str, t: &str) -> Result<Vec<char>> {
    let bad = |why: &str| node.err(format!("equation '{eq}': {why}"));
    let n = t.matches("...").count();
    if n > 1 || (t.contains('.') && n == 0) {
        return Err(bad("malformed ellipsis"));
    }
    let t = t.replace("...", ".");
    if let Some(c) = t.chars().find(|c| !(c.is_ascii_alphabetic() || *c == '.')) {
        return Err(bad(&format!("unexpected character '{c}'")));
    }
    Ok(t.chars().collect())
}

/// An equation with `...` expanded into private labels, and the size of each label.
struct Spec {
    inputs: Vec<Vec<char>>,
    output: Vec<char>,
    size: HashMap<char, usize>,
}

const ELLIPSIS_BASE: u32 = 0xE000;

fn parse(node: &Node, eq: &str, shapes: &[&[usize]]) -> Result<Spec> {
    let bad = |why: &str| node.err(format!("equation '{eq}': {why}"));
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l.to_string(), Some(r.to_string())),
        None => (eq.to_string(), None),
    };
    let terms: Vec<&str> = lhs.split(',').collect();
    if terms.len() != shapes.len() {
        return Err(bad(&format!("{} operands for {} inputs", terms.len(), shapes.len())));
    }
    // Labels of each term, with the ellipsis kept as a marker '.'.
    let split = |t: &str| labels(node, eq, t);
    let mut ell_rank = 0usize;
    let mut raw = Vec::new();
    for (t, s) in terms.iter().zip(shapes) {
        let l = split(t)?;
        let named = l.iter().filter(|&&c| c != '.').count();
        if l.contains(&'.') {
            if s.len() < named {
                return Err(bad(&format!("operand of shape {s:?} has fewer dims than labels")));
            }
            ell_rank = ell_rank.max(s.len() - named);
        } else if s.len() != named {
            return Err(bad(&format!("{named} labels for an operand of rank {}", s.len())));
        }
        raw.push(l);
    }
    let ell = |k: usize| char::from_u32(ELLIPSIS_BASE + k as u32).unwrap_or('\u{E000}');
    let mut size: HashMap<char, usize> = HashMap::new();
    let mut inputs = Vec::new();
    for (l, s) in raw.iter().zip(shapes) {
        let named = l.iter().filter(|&&c| c != '.').count();
        let here = s.len() - named;
        let mut out = Vec::new();
        let mut d = 0;
        for &c in l {
            if c == '.' {
                // Right-aligned ellipsis dims, NumPy broadcasting.
                for k in ell_rank - here..ell_rank {
                    out.push(ell(k));
                    d += 1;
                }
                continue;
            }
            out.push(c);
            d += 1;
        }
        for (&c, &n) in out.iter().zip(s.iter()) {
            let e = size.entry(c).or_insert(n);
            if *e != n {
                if *e == 1 {
                    *e = n;
                } else if n != 1 {
                    return Err(bad(&format!("label '{c}' has sizes {e} and {n}")));
                }
            }
        }
        let _ = d;
        inputs.push(out);
    }
    for k in 0..ell_rank {
        size.entry(ell(k)).or_insert(1);
    }
    let output = match rhs {
        Some(r) => {
            let l = split(&r)?;
            let mut out = Vec::new();
            for c in l {
                if c == '.' {
                    out.extend((0..ell_rank).map(ell));
                } else {
                    if out.contains(&c) {
                        return Err(bad(&format!("label '{c}' repeats in the output")));
                    }
                    if !size.contains_key(&c) {
                        return Err(bad(&format!("output label '{c}' is in no operand")));
                    }
                    out.push(c);
                }
            }
            out
        }
        None => {
            // Implicit output: the ellipsis, then labels that appear once, sorted.
            let mut out: Vec<char> = (0..ell_rank).map(ell).collect();
            let mut once: Vec<char> = size
                .keys()
                .copied()
                .filter(|c| c.is_ascii_alphabetic())
                .filter(|c| inputs.iter().map(|l| l.iter().filter(|x| *x == c).count()).sum::<usize>() == 1)
                .collect();
            once.sort_unstable();
            out.extend(once);
            out
        }
    };
    for l in &inputs {
        for (i, c) in l.iter().enumerate() {
            if l[i + 1..].contains(c) {
                return Err(bad(&format!("repeated label '{}' in one operand (diagonals) is not supported", show(*c))));
            }
        }
    }
    Ok(Spec { inputs, output, size })
}

fn show(c: char) -> String {
    if c.is_ascii_alphabetic() { c.to_string() } else { "...".into() }
}

/// Strides of each label of an operand stored with `labels` and `shape` (0 where broadcast).
fn label_strides(labels: &[char], shape: &[usize], size: &HashMap<char, usize>) -> HashMap<char, usize> {
    let st = strides(shape);
    labels
        .iter()
        .zip(shape)
        .zip(st)
        .map(|((&c, &n), s)| (c, if n == 1 && size[&c] != 1 { 0 } else { s }))
        .collect()
}

/// Merges consecutive labels into groups whose strides continue each other in every map.
/// Returns (size, strides per map) per group; size-1 labels are dropped.
fn merge(labels: &[char], size: &HashMap<char, usize>, maps: &[&HashMap<char, usize>]) -> Vec<(usize, Vec<usize>)> {
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for &c in labels {
        let n = size[&c];
        if n == 1 {
            continue;
        }
        let st: Vec<usize> = maps.iter().map(|m| m[&c]).collect();
        if let Some((gn, gs)) = groups.last_mut() {
            if gs.iter().zip(&st).all(|(&g, &s)| g == s * n) {
                *gn *= n;
                *gs = st;
                continue;
            }
        }
        groups.push((n, st));
    }
    groups
}

/// One group of at most one dim: (size, strides).
fn single(g: Vec<(usize, Vec<usize>)>, maps: usize) -> Option<(usize, Vec<usize>)> {
    match g.len() {
        0 => Some((1, vec![0; maps])),
        1 => g.into_iter().next(),
        _ => None,
    }
}

/// How the product is computed: GEMM strides, and which operands are first copied.
struct EinsumPlan {
    swap: bool,
    copy: [bool; 3],
    gemm: Gemm,
    batch: Vec<char>,
    m: Vec<char>,
    k: Vec<char>,
    n: Vec<char>,
}

/// The canonical layout of operand A ([batch, M, K]), B ([batch, K, N]) or C ([batch, M, N]).
fn canonical(which: usize, p: &EinsumPlan) -> Vec<char> {
    let (x, y) = match which {
        0 => (&p.m, &p.k),
        1 => (&p.k, &p.n),
        _ => (&p.m, &p.n),
    };
    p.batch.iter().chain(x).chain(y).copied().collect()
}

fn try_plan(spec: &Spec, shapes: [&[usize]; 2], swap: bool, copy: [bool; 3]) -> Option<EinsumPlan> {
    let (ia, ib) = if swap { (1, 0) } else { (0, 1) };
    let (la, lb) = (&spec.inputs[ia], &spec.inputs[ib]);
    let out = &spec.output;
    let size = &spec.size;
    let batch: Vec<char> = out.iter().copied().filter(|c| la.contains(c) && lb.contains(c)).collect();
    let m: Vec<char> = out.iter().copied().filter(|c| la.contains(c) && !lb.contains(c)).collect();
    let n: Vec<char> = out.iter().copied().filter(|c| lb.contains(c) && !la.contains(c)).collect();
    let k: Vec<char> = la.iter().copied().filter(|c| lb.contains(c) && !out.contains(c)).collect();
    let mut p = EinsumPlan { swap, copy, gemm: Gemm::matrix(1, 1, 1, false, false), batch, m, k, n };
    let strides_of = |which: usize, labels: &[char], shape: &[usize], p: &EinsumPlan| -> HashMap<char, usize> {
        if copy[which] {
            let can = canonical(which, p);
            let sh: Vec<usize> = can.iter().map(|c| size[c]).collect();
            label_strides(&can, &sh, size)
        } else {
            label_strides(labels, shape, size)
        }
    };
    let sa = strides_of(0, la, shapes[ia], &p);
    let sb = strides_of(1, lb, shapes[ib], &p);
    let out_shape: Vec<usize> = out.iter().map(|c| size[c]).collect();
    let sc = strides_of(2, out, &out_shape, &p);
    let (mn, ms) = single(merge(&p.m, size, &[&sa, &sc]), 2)?;
    let (nn, ns) = single(merge(&p.n, size, &[&sb, &sc]), 2)?;
    let (kn, ks) = single(merge(&p.k, size, &[&sa, &sb]), 2)?;
    let mut bg = merge(&p.batch, size, &[&sa, &sb, &sc]);
    if bg.len() > 2 {
        return None;
    }
    while bg.len() < 2 {
        bg.insert(0, (1, vec![0, 0, 0]));
    }
    // Contiguous [batch, M, N] output: the GEMM's default addressing.
    let ne1 = |c: &&char| size[*c] != 1;
    let c_contiguous = copy[2] || canonical(2, &p).iter().filter(ne1).eq(out.iter().filter(ne1));
    p.gemm = Gemm {
        m: mn,
        n: nn,
        k: kn,
        a_rs: ms[0],
        a_cs: ks[0],
        b_rs: ks[1],
        b_cs: ns[0],
        batch: [bg[0].0, bg[1].0],
        a_bs: [bg[0].1[0], bg[1].1[0]],
        b_bs: [bg[0].1[1], bg[1].1[1]],
        c_strides: if c_contiguous { None } else { Some([bg[0].1[2], bg[1].1[2], ms[1], ns[1].max(1)]) },
    };
    Some(p)
}

impl Op for Einsum {
    fn f16(&self) -> bool {
        true
    }
    fn infer(&self, node: &Node, ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        if ins.is_empty() || ins.len() > 2 {
            return Err(node.err(format!("einsum with {} operands is not supported (one or two)", ins.len())));
        }
        if !ins.iter().all(|i| i.dtype.is_float()) {
            return Err(node.err(format!("{} einsum is not supported", ins[0].dtype)));
        }
        let shapes: Vec<&[usize]> = ins.iter().map(|i| i.shape.as_slice()).collect();
        let spec = parse(node, &self.eq, &shapes)?;
        check(node, &self.text, &spec)?;
        let shape = spec.output.iter().map(|c| spec.size[c]).collect();
        Ok(vec![TensorInfo::new(ins[0].dtype, shape)])
    }
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()> {
        let shapes: Vec<&[usize]> = ins.iter().map(|i| i.shape.as_slice()).collect();
        let spec = parse(node, &self.eq, &shapes)?;
        let out = &outs[0];
        if ins.len() == 1 {
            // A transpose (with broadcast dims of size 1 dropped).
            let st = label_strides(&spec.inputs[0], &ins[0].shape, &spec.size);
            let s: Vec<i64> = spec.output.iter().map(|c| st[c] as i64).collect();
            return strided_copy(cx, node, &ins[0], out, 0, &s);
        }
        let mut best: Option<EinsumPlan> = None;
        'search: for copies in [[false, false, false], [true, false, false], [false, true, false], [false, false, true],
            [true, true, false], [true, false, true], [false, true, true], [true, true, true]]
        {
            for swap in [false, true] {
                if let Some(p) = try_plan(&spec, [shapes[0], shapes[1]], swap, copies) {
                    best = Some(p);
                    break 'search;
                }
            }
        }
        let p = best.ok_or_else(|| node.err("internal: no einsum plan"))?;
        let size = &spec.size;
        let (ia, ib) = if p.swap { (1, 0) } else { (0, 1) };
        let operand = |which: usize, src: &Operand, labels: &[char], cx: &mut Lower| -> Result<Operand> {
            if !p.copy[which] {
                return Ok(src.clone());
            }
            let can = canonical(which, &p);
            let sh: Vec<usize> = can.iter().map(|c| size[c]).collect();
            let st = label_strides(labels, &src.shape, size);
            let s: Vec<i64> = can.iter().map(|c| st[c] as i64).collect();
            let t = Operand { id: cx.temp(src.dtype, sh.clone()), dtype: src.dtype, storage: cx.storage_of(src.dtype), shape: sh, value: None };
            strided_copy(cx, node, src, &t, 0, &s)?;
            Ok(t)
        };
        let a = operand(0, &ins[ia], &spec.inputs[ia], cx)?;
        let b = operand(1, &ins[ib], &spec.inputs[ib], cx)?;
        if !p.copy[2] {
            return p.gemm.emit_with(cx, node, &a, &b, &Epilogue::none(), out);
        }
        let can = canonical(2, &p);
        let sh: Vec<usize> = can.iter().map(|c| size[c]).collect();
        let t = Operand { id: cx.temp(out.dtype, sh.clone()), dtype: out.dtype, storage: cx.storage_of(out.dtype), shape: sh.clone(), value: None };
        p.gemm.emit_with(cx, node, &a, &b, &Epilogue::none(), &t)?;
        let st = label_strides(&can, &sh, size);
        let s: Vec<i64> = spec.output.iter().map(|c| st[c] as i64).collect();
        strided_copy(cx, node, &t, out, 0, &s)
    }
}

/// Rejects what the lowering cannot do.
fn check(node: &Node, eq: &str, spec: &Spec) -> Result<()> {
    for (i, l) in spec.inputs.iter().enumerate() {
        for c in l {
            let elsewhere = spec.inputs.iter().enumerate().any(|(j, o)| j != i && o.contains(c));
            if !spec.output.contains(c) && !elsewhere && spec.size[c] != 1 {
                return Err(node.err(format!(
                    "equation '{eq}': summing label '{}' of one operand is not supported",
                    show(*c)
                )));
            }
        }
    }
    Ok(())
}
