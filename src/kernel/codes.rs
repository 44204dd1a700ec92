//! Codes shared by Rust and WGSL: each enum is the list of codes one family of kernels
//! switches on — op codes (`OP`) and selectors of a kernel's form (`MODE`, `STAGE`). Rust sets a code as the variant's `override` constant (`.set("OP", op.code())`);
//! the shaders name the codes through WGSL constants generated from these enums
//! (`const UNARY_NEG: u32 = 8u;`), pulled in by `//#include gen/<file>` (see [`generated`]).
//! `tests/shaders.rs` checks that every `case` label of a kernel names a variant, that every
//! variant is used by a kernel, and that no kernel compares a `u32` override with a number.
//!
//! The numbers are those the kernels always had (pipeline keys and results do not change);
//! adding a variant means adding its `case` to the kernel.

/// Declares a `#[repr(u32)]` code enum with its WGSL prefix and generated include path.
macro_rules! codes {
    ($(#[$m:meta])* $name:ident, $prefix:literal, $path:literal { $($(#[$vm:meta])* $v:ident = $code:literal,)* }) => {
        $(#[$m])*
        #[repr(u32)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $v = $code,)*
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v,)*];

            /// The value of the kernel's `override` constant.
            pub const fn code(self) -> u32 {
                self as u32
            }
        }

        impl From<$name> for i64 {
            fn from(c: $name) -> i64 {
                c as i64
            }
        }

        impl CodeEnum for $name {
            const PREFIX: &'static str = $prefix;
            const PATH: &'static str = $path;
            fn variants() -> Vec<(&'static str, u32)> {
                vec![$((stringify!($v), $code),)*]
            }
        }
    };
}

/// What the generated WGSL constants of a code enum are made from.
pub trait CodeEnum {
    /// The prefix of its WGSL constants (`UNARY_` in `UNARY_NEG`).
    const PREFIX: &'static str;
    /// Its generated include (`//#include gen/unary_op.wgsl`).
    const PATH: &'static str;
    /// (Rust name, code) of every variant.
    fn variants() -> Vec<(&'static str, u32)>;

    /// (WGSL constant name, code) of every variant: `LeakyRelu` becomes `UNARY_LEAKY_RELU`.
    fn wgsl_names() -> Vec<(String, u32)> {
        Self::variants().into_iter().map(|(n, c)| (format!("{}{}", Self::PREFIX, screaming(n)), c)).collect()
    }

    /// The WGSL declarations of its constants.
    fn wgsl() -> String {
        let mut s = format!("// Generated from the Rust enum behind gen include {} (src/kernel/codes.rs).\n", Self::PATH);
        for (n, c) in Self::wgsl_names() {
            s.push_str(&format!("const {n}: u32 = {c}u;\n"));
        }
        s
    }
}

/// `LeakyRelu` → `LEAKY_RELU`, `Relu6` → `RELU6`.
fn screaming(name: &str) -> String {
    let mut out = String::new();
    for (i, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_uppercase());
    }
    out
}

codes! {
    /// `OP` of `elementwise/unary_float.wgsl` and `elementwise/unary_int.wgsl` (the integer
    /// kernel takes the variants that make sense on integers). The activation codes are
    /// [`Activation`]'s.
    UnaryOp, "UNARY_", "gen/unary_op.wgsl" {
        Relu = 0,
        Relu6 = 1,
        Sigmoid = 2,
        Tanh = 3,
        Elu = 4,
        /// alpha: the slope.
        LeakyRelu = 5,
        Rsqrt = 6,
        Abs = 7,
        Neg = 8,
        Exp = 9,
        Log = 10,
        Sqrt = 11,
        Square = 12,
        Reciprocal = 13,
        Sin = 14,
        Cos = 15,
        Tan = 16,
        Asin = 17,
        Acos = 18,
        Atan = 19,
        Sinh = 20,
        Cosh = 21,
        Asinh = 22,
        Acosh = 23,
        Atanh = 24,
        Floor = 25,
        Ceil = 26,
        Round = 27,
        Sign = 28,
        Erf = 29,
        Erfc = 30,
        Expm1 = 31,
        Log1p = 32,
        Softplus = 33,
        Softsign = 34,
        Selu = 35,
        Identity = 36,
        Swish = 37,
        Gelu = 38,
        GeluTanh = 39,
        /// Clamped to [alpha, beta].
        Clip = 40,
        /// v * alpha + beta.
        Affine = 41,
        /// Integer kernel only.
        LogicalNot = 100,
        /// Integer kernel only: nonzero → 1.
        ToBool = 101,
    }
}

codes! {
    /// `ACT` of the kernels with an activation epilogue (`common/activation.wgsl`: GEMM,
    /// convolutions, depthwise, affine). The codes are [`UnaryOp`]'s, and Prelu's own.
    Activation, "ACT_", "gen/activation.wgsl" {
        Relu = 0,
        Relu6 = 1,
        Sigmoid = 2,
        Tanh = 3,
        Elu = 4,
        LeakyRelu = 5,
        /// No activation.
        None = 36,
        Swish = 37,
        Gelu = 38,
        GeluTanh = 39,
        /// x >= 0 ? x : slope·x with one slope per output channel, stored after the biases.
        Prelu = 60,
    }
}

// The unary kernel hands its activation codes to `activate`: they must agree.
const _: () = {
    assert!(Activation::Relu as u32 == UnaryOp::Relu as u32);
    assert!(Activation::Relu6 as u32 == UnaryOp::Relu6 as u32);
    assert!(Activation::Sigmoid as u32 == UnaryOp::Sigmoid as u32);
    assert!(Activation::Tanh as u32 == UnaryOp::Tanh as u32);
    assert!(Activation::Elu as u32 == UnaryOp::Elu as u32);
    assert!(Activation::LeakyRelu as u32 == UnaryOp::LeakyRelu as u32);
    assert!(Activation::None as u32 == UnaryOp::Identity as u32);
    assert!(Activation::Swish as u32 == UnaryOp::Swish as u32);
    assert!(Activation::Gelu as u32 == UnaryOp::Gelu as u32);
    assert!(Activation::GeluTanh as u32 == UnaryOp::GeluTanh as u32);
};

codes! {
    /// `OP` of `elementwise/binary_float.wgsl` and `elementwise/binary_int.wgsl`.
    BinaryOp, "BINARY_", "gen/binary_op.wgsl" {
        Add = 0,
        Sub = 1,
        Mul = 2,
        Div = 3,
        Maximum = 4,
        Minimum = 5,
        Pow = 6,
        SquaredDifference = 7,
        FloorDiv = 8,
        FloorMod = 9,
        TruncateMod = 10,
        /// Float kernel only.
        Atan2 = 11,
        DivNoNan = 12,
        /// Float kernel only.
        MulNoNan = 13,
        TruncateDiv = 14,
        /// Float kernel only: (x, slope).
        Prelu = 15,
        /// Integer kernel only (bools).
        LogicalAnd = 100,
        LogicalOr = 101,
        BitwiseAnd = 102,
        BitwiseOr = 103,
        BitwiseXor = 104,
    }
}

codes! {
    /// `OP` of `elementwise/compare.wgsl`.
    CompareOp, "CMP_", "gen/compare_op.wgsl" {
        Equal = 0,
        NotEqual = 1,
        Less = 2,
        LessEqual = 3,
        Greater = 4,
        GreaterEqual = 5,
    }
}

codes! {
    /// `OP` of `elementwise/ternary.wgsl`.
    TernaryOp, "TERNARY_", "gen/ternary_op.wgsl" {
        /// a ? b : c, the values moved as bits.
        Select = 0,
        /// max(min(a, c), b) in T.
        Clip = 1,
    }
}

codes! {
    /// `OP` of `elementwise/classify.wgsl`.
    ClassifyOp, "CLASS_", "gen/classify_op.wgsl" {
        IsNan = 0,
        IsInf = 1,
        IsFinite = 2,
    }
}

codes! {
    /// `OP` of `reduce/reduce.wgsl`, and the `op` of `group_reduce` (`common/group_*.wgsl`).
    ReduceOp, "REDUCE_", "gen/reduce_op.wgsl" {
        Sum = 0,
        Mean = 1,
        Max = 2,
        Min = 3,
        Prod = 4,
        All = 5,
        Any = 6,
        EuclideanNorm = 7,
    }
}

codes! {
    /// `OP` of `reduce/arg.wgsl`.
    ArgOp, "ARG_", "gen/arg_op.wgsl" {
        Max = 0,
        Min = 1,
    }
}

codes! {
    /// `OP` of `reduce/scan.wgsl`.
    ScanOp, "SCAN_", "gen/scan_op.wgsl" {
        Sum = 0,
        Prod = 1,
    }
}

// Selectors: which form of a kernel a variant is (its `MODE` or `STAGE` override).

codes! {
    /// `MODE` of `linalg/gemm.wgsl` (and of `linalg/gemm_large.wgsl`, which has `Matmul` and
    /// `Conv2d`): what A is.
    GemmMode, "GEMM_", "gen/gemm_mode.wgsl" {
        /// A and B (batched) matrices addressed through strides.
        Matmul = 0,
        /// A: the im2col view of an NHWC image (Conv2D as implicit GEMM).
        Conv2d = 1,
        /// A transposed 2-D convolution (Conv2DBackpropInput).
        Conv2dTranspose = 2,
        /// A: the im2col view of an NDHWC volume (Conv3D).
        Conv3d = 3,
        /// A transposed 3-D convolution (Conv3DBackpropInputV2).
        Conv3dTranspose = 4,
    }
}

codes! {
    /// `MODE` of `linalg/gemm_subgroup.wgsl`.
    SubgroupGemmMode, "SG_GEMM_", "gen/gemm_subgroup_mode.wgsl" {
        /// Matrices addressed through strides, 8×32 tiles.
        Matmul = 0,
        /// A: the im2col view of an NHWC image.
        Conv2d = 1,
        /// A few rows (batch-1 dense layers, RNN steps): 1×32 per workgroup.
        FewRows = 2,
    }
}

codes! {
    /// `COLS` of `nn/depthwise_vec4.wgsl`: output columns per invocation (the code is the
    /// count; [`crate::kernel::DepthwiseChoice`] picks it).
    DepthwiseCols, "COLS_", "gen/depthwise_cols.wgsl" {
        /// 4 columns: each filter tap loaded once for the 4.
        Block = 4,
        /// 1 column, one accumulator.
        Single = 1,
    }
}

codes! {
    /// `MODE` of `common/pool_window.wgsl` (`nn/pool.wgsl`, `nn/pool3d.wgsl`).
    PoolMode, "POOL_", "gen/pool_mode.wgsl" {
        Max = 0,
        Avg = 1,
    }
}

codes! {
    /// `MODE` of `data/pad.wgsl`: what an element outside the input reads.
    PadMode, "PAD_", "gen/pad_mode.wgsl" {
        /// The constant (Pad, PadV2).
        Constant = 0,
        /// MirrorPad REFLECT: -1 reads 1.
        Reflect = 1,
        /// MirrorPad SYMMETRIC: -1 reads 0.
        Symmetric = 2,
    }
}

codes! {
    /// `MODE` of `data/cast.wgsl` (32-bit words).
    CastMode, "CAST_", "gen/cast_mode.wgsl" {
        /// f32 to an integer of `bits` (truncation, then wrapped).
        FloatToInt = 0,
        /// i32 to f32.
        IntToFloat = 1,
        /// f32 to bool (non-zero).
        FloatToBool = 2,
        /// An integer to bool (non-zero).
        IntToBool = 3,
        /// An integer wrapped to `bits`.
        IntToInt = 4,
    }
}

codes! {
    /// `MODE` of `data/cast64.wgsl` (casts with a 64-bit side).
    Cast64Mode, "CAST64_", "gen/cast64_mode.wgsl" {
        /// WGSL's conversion.
        Convert = 0,
        /// To bool (non-zero).
        ToBool = 1,
        /// i64 to a narrower integer of `bits`, wrapped.
        Narrow = 2,
    }
}

codes! {
    /// `MODE` of `image/resize.wgsl` and `image/crop_and_resize.wgsl`.
    ResizeMethod, "RESIZE_", "gen/resize_method.wgsl" {
        Bilinear = 0,
        Nearest = 1,
    }
}

codes! {
    /// `STAGE` of `nn/softmax.wgsl`: whole rows, or the first passes of long ones (then `apply`).
    SoftmaxStage, "SOFTMAX_", "gen/softmax_stage.wgsl" {
        /// A workgroup per row.
        Whole = 0,
        /// A workgroup per part of a row: its maximum and sum.
        Stats = 1,
        /// A workgroup per row: the row's maximum and sum from its parts'.
        Combine = 2,
    }
}

codes! {
    /// `STAGE` of `data/where.wgsl`.
    WhereStage, "WHERE_", "gen/where_stage.wgsl" {
        /// A workgroup per chunk counts its non-zero elements.
        Count = 0,
        /// One workgroup: each chunk's first row, and the total.
        Offsets = 1,
        /// A workgroup per chunk writes its rows.
        Write = 2,
    }
}

codes! {
    /// `STAGE` of `data/unique.wgsl`.
    UniqueStage, "UNIQUE_", "gen/unique_stage.wgsl" {
        /// Per element: the first equal element.
        First = 0,
        /// One invocation: the positions of first occurrences.
        Positions = 1,
        /// Per element: its position in the output.
        Indices = 2,
    }
}

/// The WGSL of a generated include (`//#include gen/…`), if `path` names one.
pub fn generated(path: &str) -> Option<String> {
    Some(match path {
        p if p == UnaryOp::PATH => UnaryOp::wgsl(),
        p if p == Activation::PATH => Activation::wgsl(),
        p if p == BinaryOp::PATH => BinaryOp::wgsl(),
        p if p == CompareOp::PATH => CompareOp::wgsl(),
        p if p == TernaryOp::PATH => TernaryOp::wgsl(),
        p if p == ClassifyOp::PATH => ClassifyOp::wgsl(),
        p if p == ReduceOp::PATH => ReduceOp::wgsl(),
        p if p == ArgOp::PATH => ArgOp::wgsl(),
        p if p == ScanOp::PATH => ScanOp::wgsl(),
        p if p == GemmMode::PATH => GemmMode::wgsl(),
        p if p == SubgroupGemmMode::PATH => SubgroupGemmMode::wgsl(),
        p if p == DepthwiseCols::PATH => DepthwiseCols::wgsl(),
        p if p == PoolMode::PATH => PoolMode::wgsl(),
        p if p == PadMode::PATH => PadMode::wgsl(),
        p if p == CastMode::PATH => CastMode::wgsl(),
        p if p == Cast64Mode::PATH => Cast64Mode::wgsl(),
        p if p == ResizeMethod::PATH => ResizeMethod::wgsl(),
        p if p == SoftmaxStage::PATH => SoftmaxStage::wgsl(),
        p if p == WhereStage::PATH => WhereStage::wgsl(),
        p if p == UniqueStage::PATH => UniqueStage::wgsl(),
        p => return crate::kernel::meta::generated(p),
    })
}

/// Every code enum: (generated include path, WGSL prefix, (WGSL name, code) of each variant).
pub fn all() -> Vec<(&'static str, &'static str, Vec<(String, u32)>)> {
    fn one<E: CodeEnum>() -> (&'static str, &'static str, Vec<(String, u32)>) {
        (E::PATH, E::PREFIX, E::wgsl_names())
    }
    vec![
        one::<UnaryOp>(),
        one::<Activation>(),
        one::<BinaryOp>(),
        one::<CompareOp>(),
        one::<TernaryOp>(),
        one::<ClassifyOp>(),
        one::<ReduceOp>(),
        one::<ArgOp>(),
        one::<ScanOp>(),
        one::<GemmMode>(),
        one::<SubgroupGemmMode>(),
        one::<DepthwiseCols>(),
        one::<PoolMode>(),
        one::<PadMode>(),
        one::<CastMode>(),
        one::<Cast64Mode>(),
        one::<ResizeMethod>(),
        one::<SoftmaxStage>(),
        one::<WhereStage>(),
        one::<UniqueStage>(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_screaming_snake_case() {
        assert_eq!(screaming("LeakyRelu"), "LEAKY_RELU");
        assert_eq!(screaming("Relu6"), "RELU6");
        assert!(UnaryOp::wgsl().contains("const UNARY_LEAKY_RELU: u32 = 5u;\n"));
        assert_eq!(UnaryOp::Neg.code(), 8);
    }
}
