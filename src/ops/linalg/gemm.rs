//! Emitting the tiled GEMM kernel for matrix products (MatMul, BatchMatMul, Einsum, 1×1 convs).
use crate::error::Result;
use crate::graph::Node;
use crate::lower::{Binding, Lower, Meta, Operand, ShaderVariant, MAX_GROUPS_PER_DIM};
use crate::shaders;

/// A batched matrix product C[b] = A[b]·B[b] described by strides.
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
}

impl Gemm {
    /// A plain product of [M,K]·[K,N] with optional transposes of the stored matrices.
    pub fn matrix(m: usize, n: usize, k: usize, ta: bool, tb: bool) -> Gemm {
        let (a_rs, a_cs) = if ta { (1, m) } else { (k, 1) };
        let (b_rs, b_cs) = if tb { (1, k) } else { (n, 1) };
        Gemm { m, n, k, a_rs, a_cs, b_rs, b_cs, batch: [1, 1], a_bs: [0, 0], b_bs: [0, 0] }
    }

    /// Emits the kernel; `act` is an activation code of unary_float.wgsl (36: none).
    pub fn emit(&self, cx: &mut Lower, node: &Node, a: &Operand, b: &Operand, bias: Option<&Operand>, act: u32, alpha: f32, out: &Operand) -> Result<()> {
        let batches = self.batch[0] * self.batch[1];
        if batches > MAX_GROUPS_PER_DIM as usize || self.m.div_ceil(64) > MAX_GROUPS_PER_DIM as usize {
            return Err(node.err("matrix product too large for one dispatch"));
        }
        let meta = Meta::new()
            .n(self.m).n(self.n).n(self.k).n(self.batch[1])
            .n(self.a_rs).n(self.a_cs).n(self.b_rs).n(self.b_cs)
            .n(self.a_bs[0]).n(self.a_bs[1]).n(self.b_bs[0]).n(self.b_bs[1])
            .u(0).u(0).u(0).u(0)
            .u(0).u(0).u(0).u(0)
            .u(0).u(0).u(0).u(0)
            .u(0).f(alpha).u(0).u(0);
        let v = ShaderVariant::new(&shaders::GEMM).set("MODE", 0).set("ACT", act as i64).set("HAS_BIAS", bias.is_some() as i64);
        let groups = [self.n.div_ceil(64) as u32, self.m.div_ceil(64) as u32, batches as u32];
        let bid = bias.map(|x| x.id).unwrap_or(b.id);
        cx.kernel(v, groups, meta, vec![Binding::In(a.id), Binding::In(b.id), Binding::In(bid), Binding::Out(out.id)]);
        Ok(())
    }
}
