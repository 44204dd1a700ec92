//! The GEMM kernel a target computes matrix products with (plain data; the runtime chooses it
//! per adapter: `runtime/tune.rs`).

/// Which GEMM kernel computes matrix products (MatMul, BatchMatMul, Einsum, 1×1 convolutions)
/// and the implicit GEMM of 2-D convolutions. Every choice gives the same results up to float
/// rounding; each is computed row by row alike whatever the number of rows where
/// [`super::Target::batch_invariant`] asks it. Where a choice cannot compute a product, the tiled
/// kernel does (see each variant).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum GemmChoice {
    /// `linalg/gemm.wgsl`: 64×64 tiles, a 16×16 workgroup, 4×4 outputs per invocation.
    #[default]
    Tiled,
    /// `linalg/gemm_subgroup.wgsl`: 8×32 tiles shared by subgroup broadcasts (adapters with
    /// subgroups of at least 8 lanes; CPU adapters, where loads cost). Einsums writing a strided
    /// output and transposed or 3-D convolutions use the tiled kernel.
    Subgroup,
    /// `linalg/gemm_large.wgsl`: 128×128 tiles, a 16×16 workgroup, 8×8 outputs per invocation,
    /// double-buffered k-tiles (GPUs with many lanes). Products of at most 64 rows (unless
    /// batch-invariant) use the tiled kernel; it computes every convolution mode.
    Large,
}

impl GemmChoice {
    /// Every choice, in the order the autotune times them.
    pub const ALL: [GemmChoice; 3] = [GemmChoice::Tiled, GemmChoice::Subgroup, GemmChoice::Large];

    /// The name `WGTF_GEMM`, the cache and `wgtf devices` use.
    pub fn name(self) -> &'static str {
        match self {
            GemmChoice::Tiled => "tiled",
            GemmChoice::Subgroup => "subgroup",
            GemmChoice::Large => "large",
        }
    }

    /// The choice of a name (`tiled`, `subgroup`, `large`; case-insensitive).
    pub fn parse(s: &str) -> Option<GemmChoice> {
        GemmChoice::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(s.trim()))
    }
}

impl std::fmt::Display for GemmChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

