//! Emitting the GEMM kernels for matrix products (MatMul, BatchMatMul, Einsum, 1×1 convs) and
//! convolutions' implicit GEMM: the one `Target::gemm` chooses (subgroup, 64×64 tiled, 128×128
//! large), the tiled one where the chosen one cannot compute a product.
use crate::kernel::codes::{GemmMode, SubgroupGemmMode};
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Binding, GemmChoice, Lower, Meta, Operand, ShaderVariant, LOOP_BUDGET, MAX_GROUPS_PER_DIM};
use crate::kernel::meta::{w, GemmIntMeta, GemmMeta, GemmSubgroupMeta};
use std::mem::offset_of;
use crate::ops::util::{tensor_from_f64, tensor_from_i64};
use crate::shaders;
use crate::tensor::{wrap_int, DType, Tensor};

/// The activation codes of the kernels' epilogues ([`crate::kernel::codes::Activation`], as plain codes).
pub mod act {
    use crate::kernel::codes::Activation;
    pub const RELU: u32 = Activation::Relu.code();
    pub const RELU6: u32 = Activation::Relu6.code();
    pub const SIGMOID: u32 = Activation::Sigmoid.code();
    pub const TANH: u32 = Activation::Tanh.code();
    pub const ELU: u32 = Activation::Elu.code();
    pub const LEAKY_RELU: u32 = Activation::LeakyRelu.code();
    pub const NONE: u32 = Activation::None.code();
    pub const SWISH: u32 = Activation::Swish.code();
    pub const GELU: u32 = Activation::Gelu.code();
    pub const GELU_TANH: u32 = Activation::GeluTanh.code();
    /// x >= 0 ? x : slope·x with one slope per output channel, stored after the biases in the
    /// bias binding (`ACT_PRELU` in common/activation.wgsl).
    pub const PRELU: u32 = Activation::Prelu.code();
}

/// What the kernels do to each output after the product: `act(v + bias[col] + residual[i])`.
#[derive(Clone, Copy)]
pub struct Epilogue<'a> {
    pub bias: Option<&'a Operand>,
    /// A tensor of the output's shape added before the activation.
    pub residual: Option<&'a Operand>,
    pub act: u32,
    pub alpha: f32,
}

impl<'a> Epilogue<'a> {
    pub fn none() -> Self {
        Epilogue { bias: None, residual: None, act: act::NONE, alpha: 0.0 }
    }
    pub fn bias_act(bias: Option<&'a Operand>, act: u32, alpha: f32) -> Self {
        Epilogue { bias, residual: None, act, alpha }
    }
    /// The variant's epilogue overrides.
    pub fn apply(&self, v: ShaderVariant) -> ShaderVariant {
        v.set("ACT", self.act as i64).set("HAS_BIAS", self.bias.is_some() as i64).set("HAS_RES", self.residual.is_some() as i64)
    }
    /// The bias and residual bindings (`dummy`, an input of the kernel, stands in for absent ones).
    pub fn bindings(&self, dummy: &Operand) -> (Binding, Binding) {
        (Binding::In(self.bias.unwrap_or(dummy).id), Binding::In(self.residual.unwrap_or(dummy).id))
    }
}

/// The most multiply-adds a matrix product of known inputs is computed with on the host.
const MAX_FOLD_FLOPS: usize = 1 << 24;

/// A batched matrix product C[b] = A[b]·B[b] described by strides.
#[derive(Clone, Copy, Debug)]
pub struct Gemm {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    /// A(m, k) = a[base + m·a_rs + k·a_cs]
    pub a_rs: usize,
    pub a_cs: usize,
    pub b_rs: usize,
    pub b_cs: usize,
    /// Batch: two dims (outer, inner) with the strides of A and B along each.
    pub batch: [usize; 2],
    pub a_bs: [usize; 2],
    pub b_bs: [usize; 2],
    /// Output strides (batch outer, batch inner, row, column); `None`: contiguous [batch, M, N].
    pub c_strides: Option<[usize; 4]>,
}

impl Gemm {
    /// A plain product of [M,K]·[K,N] with optional transposes of the stored matrices.
    pub fn matrix(m: usize, n: usize, k: usize, ta: bool, tb: bool) -> Gemm {
        let (a_rs, a_cs) = if ta { (1, m) } else { (k, 1) };
        let (b_rs, b_cs) = if tb { (1, k) } else { (n, 1) };
        Gemm { m, n, k, a_rs, a_cs, b_rs, b_cs, batch: [1, 1], a_bs: [0, 0], b_bs: [0, 0], c_strides: None }
    }

    /// The product on the host (plan-time folding): float inputs in f64, integers wrapping in
    /// i64 (the caller narrows to the dtype). `c` is contiguous [batch, M, N].
    pub fn host<T: Copy + Default + std::ops::Add<Output = T>>(&self, a: &[T], b: &[T], mul: impl Fn(T, T) -> T) -> Option<Vec<T>> {
        let mut c = Vec::with_capacity(self.batch[0] * self.batch[1] * self.m * self.n);
        for bo in 0..self.batch[0] {
            for bi in 0..self.batch[1] {
                for row in 0..self.m {
                    for col in 0..self.n {
                        let a0 = bo * self.a_bs[0] + bi * self.a_bs[1] + row * self.a_rs;
                        let b0 = bo * self.b_bs[0] + bi * self.b_bs[1] + col * self.b_cs;
                        let mut acc = T::default();
                        for q in 0..self.k {
                            acc = acc + mul(*a.get(a0 + q * self.a_cs)?, *b.get(b0 + q * self.b_rs)?);
                        }
                        c.push(acc);
                    }
                }
            }
        }
        Some(c)
    }

    /// Multiply-adds of the product (to bound plan-time folding).
    pub fn flops(&self) -> usize {
        [self.batch[0], self.batch[1], self.m, self.n, self.k].iter().fold(1usize, |a, &d| a.saturating_mul(d))
    }

    /// Emits the integer kernel (`linalg/gemm_int.wgsl`, exact, wrapping): C contiguous. Each
    /// invocation loops over K, which must stay within the loop budget.
    pub fn emit_int(&self, cx: &mut Lower, node: &Node, a: &Operand, b: &Operand, out: &Operand) -> Result<()> {
        if self.k > LOOP_BUDGET {
            return Err(node.err(format!("an integer matrix product over K = {} (more than {LOOP_BUDGET}) is not supported", self.k)));
        }
        let count = out.elements();
        let meta = Meta::from(GemmIntMeta {
            m: w(self.m), n: w(self.n), k: w(self.k), batch_inner: w(self.batch[1]),
            a_rs: w(self.a_rs), a_cs: w(self.a_cs), b_rs: w(self.b_rs), b_cs: w(self.b_cs),
            a_bs0: w(self.a_bs[0]), a_bs1: w(self.a_bs[1]), b_bs0: w(self.b_bs[0]), b_bs1: w(self.b_bs[1]),
            count: w(count), ..Default::default()
        });
        let v = ShaderVariant::new(&shaders::GEMM_INT).ty("T", out.storage.wgsl());
        cx.kernel(v, crate::kernel::grid(count, 256), meta, vec![Binding::In(a.id), Binding::In(b.id), Binding::Out(out.id)]);
        Ok(())
    }

    /// The product of known inputs, as a tensor of `dtype` with `shape`.
    pub fn fold(&self, a: &Tensor, b: &Tensor, dtype: DType, shape: Vec<usize>) -> Option<Result<Tensor>> {
        if self.flops() > MAX_FOLD_FLOPS {
            return None;
        }
        if dtype.is_float() {
            let c = self.host(&a.to_f64_vec().ok()?, &b.to_f64_vec().ok()?, |x, y| x * y)?;
            Some(tensor_from_f64(dtype, shape, c))
        } else {
            let c = self.host(&a.to_i64_vec().ok()?, &b.to_i64_vec().ok()?, |x: i64, y: i64| x.wrapping_mul(y))?;
            let c = c.into_iter().map(|v| wrap_int(v, dtype)).collect();
            Some(tensor_from_i64(dtype, shape, c))
        }
    }

    /// Emits the kernel; `act` is an [`crate::kernel::codes::Activation`] code (`act::NONE`: none).
    pub fn emit(&self, cx: &mut Lower, node: &Node, a: &Operand, b: &Operand, bias: Option<&Operand>, act: u32, alpha: f32, out: &Operand) -> Result<()> {
        self.emit_with(cx, node, a, b, &Epilogue::bias_act(bias, act, alpha), out)
    }

    /// Emits the kernel with a full epilogue (bias, residual add, activation).
    pub fn emit_with(&self, cx: &mut Lower, node: &Node, a: &Operand, b: &Operand, ep: &Epilogue, out: &Operand) -> Result<()> {
        let max = cx.target().max_binding;
        let too_big = max > 0 && b.elements() as u64 * b.storage.bytes() > max;
        let k_max = self.k_per_dispatch(cx.target());
        if too_big || self.k > k_max {
            return self.emit_split_k(cx, node, a, b, ep, out, too_big.then_some(max), k_max);
        }
        let batches = self.batch[0] * self.batch[1];
        // Row tiles and batches beyond 65,535 go in several dispatches; columns must fit one.
        if self.n.div_ceil(64) > MAX_GROUPS_PER_DIM as usize {
            return Err(node.err("matrix product too large for one dispatch"));
        }
        let (bias, res) = ep.bindings(b);
        // CPU adapters: the subgroup-broadcast kernel (8 x 32 tiles, far fewer loads per FMA).
        if self.subgroup(cx.target()) {
            let meta = Meta::from(GemmSubgroupMeta {
                m: w(self.m), n: w(self.n), k: w(self.k), batch_inner: w(self.batch[1]),
                a_rs: w(self.a_rs), a_cs: w(self.a_cs), b_rs: w(self.b_rs), b_cs: w(self.b_cs),
                a_bs0: w(self.a_bs[0]), a_bs1: w(self.a_bs[1]), b_bs0: w(self.b_bs[0]), b_bs1: w(self.b_bs[1]),
                alpha: ep.alpha, ..Default::default()
            });
            let vec4 = self.vec4();
            // A few rows (batch-1 dense layers, RNN steps): lanes split K instead of rows.
            let small = self.few_rows(cx.target());
            let v = ep.apply(ShaderVariant::new(&shaders::GEMM_SUBGROUP).set("MODE", if small { SubgroupGemmMode::FewRows } else { SubgroupGemmMode::Matmul }).set("VEC4", vec4 as i64).set("B_VEC4", self.b_vec4() as i64));
            // MODE 0: [row tiles, column tiles] (row tiles fastest); MODE 2: [column tiles, rows].
            let (groups, row_dim) = if small { ([self.n.div_ceil(32), self.m, batches], 1) } else { ([self.m.div_ceil(8), self.n.div_ceil(32), batches], 0) };
            let bind = vec![Binding::In(a.id), Binding::In(b.id), bias, Binding::Out(out.id), res, Binding::In(a.id), Binding::In(b.id), Binding::Out(out.id)];
            dispatch(cx, v, meta, groups, (row_dim, 8), SUBGROUP_OFFSETS, bind);
            return Ok(());
        }
        let cs = self.c_strides.unwrap_or([0; 4]);
        let meta = Meta::from(GemmMeta {
            m: w(self.m), n: w(self.n), k: w(self.k), batch_inner: w(self.batch[1]),
            a_rs: w(self.a_rs), a_cs: w(self.a_cs), b_rs: w(self.b_rs), b_cs: w(self.b_cs),
            a_bs0: w(self.a_bs[0]), a_bs1: w(self.a_bs[1]), b_bs0: w(self.b_bs[0]), b_bs1: w(self.b_bs[1]),
            alpha: ep.alpha,
            c_bs0: w(cs[0]), c_bs1: w(cs[1]), c_rs: w(cs[2]), c_cs: w(cs[3]),
            ..Default::default()
        });
        // GPUs: the 128×128 register-blocked kernel (`GemmChoice::Large`), else 64×64 tiles.
        let large = self.large(cx.target());
        let tile = if large { 128 } else { 64 };
        let v = ShaderVariant::new(if large { &shaders::GEMM_LARGE } else { &shaders::GEMM }).set("MODE", GemmMode::Matmul).set("VEC4", self.vec4() as i64);
        let v = ep.apply(if large { v.set("B_VEC4", self.b_vec4() as i64) } else { v });
        let groups = [self.n.div_ceil(tile), self.m.div_ceil(tile), batches];
        dispatch(cx, v, meta, groups, (1, tile), TILED_OFFSETS, vec![Binding::In(a.id), Binding::In(b.id), bias, Binding::Out(out.id), res, Binding::In(a.id), Binding::In(b.id)]);
        Ok(())
    }

    /// Whether the 128×128 kernel computes this product: the target's choice, for more than
    /// 64 rows (fewer fill a small part of its tiles; with `Target::batch_invariant` the row
    /// count may not choose the kernel, so it computes them too).
    fn large(&self, t: &crate::kernel::Target) -> bool {
        t.gemm == GemmChoice::Large && (self.m > 64 || t.batch_invariant)
    }

    /// Whether the subgroup-broadcast kernel computes this product (its column tiles, 32
    /// wide, in one dispatch dimension).
    fn subgroup(&self, t: &crate::kernel::Target) -> bool {
        t.gemm == GemmChoice::Subgroup && self.c_strides.is_none() && self.n.div_ceil(32) <= MAX_GROUPS_PER_DIM as usize
    }

    /// Whether the subgroup kernel's lanes split K (a few rows), unless the target wants every
    /// row computed alike whatever the number of rows (`Target::batch_invariant`).
    fn few_rows(&self, t: &crate::kernel::Target) -> bool {
        self.m <= 4 && !t.batch_invariant
    }

    /// Whether kernels may read B as vec4: its rows start at multiples of 4 floats.
    fn b_vec4(&self) -> bool {
        self.b_cs == 1 && self.n % 4 == 0 && [self.b_rs, self.b_bs[0], self.b_bs[1]].iter().all(|s| s % 4 == 0)
    }

    /// Whether kernels may read A and B as vec4: rows of both start at multiples of 4 floats.
    fn vec4(&self) -> bool {
        self.b_vec4() && self.a_cs == 1 && self.k % 4 == 0 && [self.a_rs, self.a_bs[0], self.a_bs[1]].iter().all(|s| s % 4 == 0)
    }

    /// The longest K one dispatch may take: its kernel loops over K (a step per k, per 4 k
    /// with vec4 loads, per 8 k where lanes split K), within the loop budget.
    fn k_per_dispatch(&self, t: &crate::kernel::Target) -> usize {
        let subgroup = self.subgroup(t);
        let per_step = match () {
            _ if subgroup && self.few_rows(t) => 8,
            _ if subgroup && self.vec4() => 4,
            _ => 1,
        };
        LOOP_BUDGET * per_step
    }

    /// K in parts: C = Σ_j A[:, K_j]·B[K_j, :] over row blocks K_j of B bound as windows
    /// (block starts are multiples of 64 rows, so window offsets are multiples of 256 bytes).
    /// Each partial product adds the previous one as its residual (the first, the epilogue's);
    /// bias and activation go with the last. For a K longer than one dispatch may loop over
    /// (at most `k_max` per part), and for a B larger than one storage binding (`max`: a huge
    /// weight matrix; each block then fits a binding).
    #[allow(clippy::too_many_arguments)]
    fn emit_split_k(&self, cx: &mut Lower, node: &Node, a: &Operand, b: &Operand, ep: &Epilogue, out: &Operand, max: Option<u64>, k_max: usize) -> Result<()> {
        let mut rows = k_max / 64 * 64;
        if let Some(max) = max {
            let row_bytes = self.b_rs as u64 * b.storage.bytes();
            rows = rows.min(((max / row_bytes.max(1)) / 64 * 64) as usize);
            if self.batch != [1, 1] || self.b_cs != 1 || self.b_rs < self.n || rows == 0 || ep.residual.is_some() {
                return Err(node.err(format!(
                    "the matrix {:?} ({} bytes) exceeds this device's largest storage binding ({max} bytes) and cannot be split by rows",
                    b.shape,
                    b.elements() as u64 * b.storage.bytes()
                )));
            }
        }
        if rows == 0 || self.k.div_ceil(rows.max(1)) > crate::ops::util::MAX_WINDOWS {
            return Err(node.err(format!("a matrix product over K = {} is too long to split", self.k)));
        }
        let mut prev: Option<Operand> = ep.residual.cloned();
        let mut k0 = 0;
        while k0 < self.k {
            let kc = rows.min(self.k - k0);
            let last = k0 + kc == self.k;
            let aw = cx.window(a, k0 * self.a_cs, vec![a.elements() - k0 * self.a_cs]);
            // A block of B's rows that fits a binding, or all of B from the block on.
            let b_len = if max.is_some() { (kc - 1) * self.b_rs + self.n } else { b.elements() - k0 * self.b_rs };
            let bw = cx.window(b, k0 * self.b_rs, vec![b_len]);
            let dst = if last { out.clone() } else { Operand { id: cx.temp(out.dtype, out.shape.clone()), ..out.clone() } };
            let part = Gemm { k: kc, ..*self };
            let e = Epilogue {
                bias: if last { ep.bias } else { None },
                residual: prev.as_ref(),
                act: if last { ep.act } else { act::NONE },
                alpha: ep.alpha,
            };
            part.emit_with(cx, node, &aw, &bw, &e, &dst)?;
            prev = Some(dst);
            k0 += kc;
        }
        Ok(())
    }

}

/// Words of the kernels' meta blocks holding the first row and batch of a dispatch (`m_off`,
/// `z_off`): gemm.wgsl's and gemm_subgroup.wgsl's.
pub const TILED_OFFSETS: (usize, usize) = (word_of(offset_of!(GemmMeta, m_off)), word_of(offset_of!(GemmMeta, z_off)));
pub const SUBGROUP_OFFSETS: (usize, usize) = (word_of(offset_of!(GemmSubgroupMeta, m_off)), word_of(offset_of!(GemmSubgroupMeta, z_off)));

const fn word_of(byte_offset: usize) -> usize {
    byte_offset / 4
}

/// Emits a GEMM kernel over `groups` workgroups — row tiles of `rows.1` rows along grid
/// dimension `rows.0`, batches along z — in several dispatches where one of those holds more
/// than 65,535, each told its first row and batch (meta words `offsets`). Beyond
/// MAX_WINDOWS dispatches (an absurd fed shape), one dispatch of them all, which the plan's
/// limit check refuses.
pub fn dispatch(cx: &mut Lower, v: ShaderVariant, mut meta: Meta, groups: [usize; 3], rows: (usize, usize), offsets: (usize, usize), bindings: Vec<Binding>) {
    let max = MAX_GROUPS_PER_DIM as usize;
    let words = offsets.0.max(offsets.1) + 1;
    if meta.words.len() < words {
        meta.words.resize(words, 0);
    }
    if groups[2].div_ceil(max).saturating_mul(groups[rows.0].div_ceil(max)) > crate::ops::util::MAX_WINDOWS {
        cx.kernel(v, groups.map(|g| u32::try_from(g).unwrap_or(u32::MAX)), meta, bindings);
        return;
    }
    for z0 in (0..groups[2]).step_by(max) {
        for r0 in (0..groups[rows.0]).step_by(max) {
            let mut g = groups;
            g[2] = (groups[2] - z0).min(max);
            g[rows.0] = (groups[rows.0] - r0).min(max);
            let mut m = meta.clone();
            m.words[offsets.0] = (r0 * rows.1) as u32;
            m.words[offsets.1] = z0 as u32;
            cx.kernel(v.clone(), g.map(|g| u32::try_from(g).unwrap_or(u32::MAX)), m, bindings.clone());
        }
    }
}

/// Words of the tiled kernel's meta block (gemm.wgsl) holding K's end and where K starts.
const TILED_K: usize = word_of(offset_of!(GemmMeta, k));
const TILED_K_OFF: usize = word_of(offset_of!(GemmMeta, k_off));

/// Emits the tiled kernel (gemm.wgsl) in a convolution `mode` with `meta` (a
/// [`GemmMeta`]): a K longer than one dispatch may loop over (a step per k) in parts of at most
/// LOOP_BUDGET, each adding the previous part's product as its residual (the first, the
/// epilogue's); bias and activation go with the last. Beyond MAX_WINDOWS parts (an absurd
/// shape), one dispatch of too many workgroups, which the plan's limit check refuses.
#[allow(clippy::too_many_arguments)]
fn emit_tiled(cx: &mut Lower, mode: GemmMode, meta: Meta, k: usize, groups: [usize; 3], a: &Operand, b: &Operand, ep: &Epilogue, out: &Operand) {
    emit_parts(cx, &|e: &Epilogue| e.apply(ShaderVariant::new(&shaders::GEMM).set("MODE", mode)), 64, meta, k, groups, a, b, ep, out)
}

/// A convolution's implicit GEMM (2-D or 3-D, transposed or not: `mode`) over M rows and N
/// columns with `meta` (a [`GemmMeta`]): the 128×128 kernel where the target chose it (more than
/// 64 rows, or any number when batch-invariant; `vec4`: the input's channels are multiples of 4,
/// `b_vec4`: the filter's columns, never for a transposed filter), else the 64×64 one. K in
/// parts as [`emit_tiled`].
#[allow(clippy::too_many_arguments)]
pub fn emit_conv(cx: &mut Lower, mode: GemmMode, meta: Meta, (m, n, k): (usize, usize, usize), (vec4, b_vec4): (bool, bool), a: &Operand, b: &Operand, ep: &Epilogue, out: &Operand) {
    let t = cx.target();
    debug_assert_ne!(mode, GemmMode::Matmul, "emit_conv computes convolutions");
    if t.gemm == GemmChoice::Large && (m > 64 || t.batch_invariant) {
        let transposed = matches!(mode, GemmMode::Conv2dTranspose | GemmMode::Conv3dTranspose);
        let base = ShaderVariant::new(&shaders::GEMM_LARGE).set("MODE", mode).set("VEC4", vec4).set("B_VEC4", b_vec4 && !transposed);
        return emit_parts(cx, &|e: &Epilogue| e.apply(base.clone()), 128, meta, k, [n.div_ceil(128), m.div_ceil(128), 1], a, b, ep, out);
    }
    emit_tiled(cx, mode, meta, k, [n.div_ceil(64), m.div_ceil(64), 1], a, b, ep, out)
}

/// [`emit_tiled`] with the variant `variant` makes of each part's epilogue, in row tiles of
/// `tile` rows.
#[allow(clippy::too_many_arguments)]
fn emit_parts(cx: &mut Lower, variant: &dyn Fn(&Epilogue) -> ShaderVariant, tile: usize, meta: Meta, k: usize, groups: [usize; 3], a: &Operand, b: &Operand, ep: &Epilogue, out: &Operand) {
    let part = if k.div_ceil(LOOP_BUDGET) > crate::ops::util::MAX_WINDOWS { k } else { LOOP_BUDGET };
    let groups = if part == LOOP_BUDGET || k <= LOOP_BUDGET { groups } else { [usize::MAX, 1, 1] };
    let mut prev: Option<Operand> = ep.residual.cloned();
    let mut k0 = 0;
    loop {
        let k1 = (k0 + part).min(k);
        let last = k1 == k;
        let dst = if last { out.clone() } else { Operand { id: cx.temp(out.dtype, out.shape.clone()), ..out.clone() } };
        let e = Epilogue {
            bias: if last { ep.bias } else { None },
            residual: prev.as_ref(),
            act: if last { ep.act } else { act::NONE },
            alpha: ep.alpha,
        };
        let mut meta = meta.clone();
        meta.words[TILED_K] = k1 as u32;
        meta.words[TILED_K_OFF] = k0 as u32;
        let v = variant(&e);
        let (bias, res) = e.bindings(b);
        dispatch(cx, v, meta, groups, (1, tile), TILED_OFFSETS, vec![Binding::In(a.id), Binding::In(b.id), bias, Binding::Out(dst.id), res, Binding::In(a.id), Binding::In(b.id)]);
        if last {
            return;
        }
        prev = Some(dst);
        k0 = k1;
    }
}
