//! Every WGSL kernel of wgtf, by name. Ops refer to these statics, never to loose strings; the
//! test `tests/shaders.rs` validates each file under `shaders/` with naga and checks that it is
//! listed here.

/// A WGSL source file.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Shader {
    /// Path under `shaders/`.
    pub path: &'static str,
    pub source: &'static str,
    /// Whether it names its float storage type `F` ([`FLOAT_ALIAS`]: it gets
    /// `F = f16` under f16 storage). Found when compiling wgtf.
    pub float_alias: bool,
    /// Whether it moves elements of any type as `E` ([`ELEMENT_ALIAS`]).
    pub element_alias: bool,
}

/// The declaration by which a shader names its float storage type (`array<F>`, converting with
/// `f32(x[i])` and `F(v)`): it gets `F = f16` when its op stores floats as f16. Declared in the
/// shader's own file, not in an include.
pub const FLOAT_ALIAS: &str = "alias F = f32;";

/// The declaration by which a shader that moves elements of any type (copies, transposes,
/// padding) names its element type: 32-bit words, or f16 when the tensors it binds are held as
/// f16 (then counts and indices are in f16 elements).
pub const ELEMENT_ALIAS: &str = "alias E = u32;";

/// Whether `source` contains `decl` (at compile time, for [`Shader`]'s flags).
pub const fn declares(source: &str, decl: &str) -> bool {
    let (s, d) = (source.as_bytes(), decl.as_bytes());
    let mut i = 0;
    while i + d.len() <= s.len() {
        let mut j = 0;
        while j < d.len() && s[i + j] == d[j] {
            j += 1;
        }
        if j == d.len() {
            return true;
        }
        i += 1;
    }
    false
}

/// Declares a shader from its path under `shaders/`.
#[macro_export]
macro_rules! shader {
    ($path:literal) => {
        $crate::shaders::Shader {
            path: $path,
            source: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $path)),
            float_alias: $crate::shaders::declares(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $path)), $crate::shaders::FLOAT_ALIAS),
            element_alias: $crate::shaders::declares(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $path)), $crate::shaders::ELEMENT_ALIAS),
        }
    };
}

pub static UNARY_FLOAT: Shader = shader!("elementwise/unary_float.wgsl");
pub static UNARY_INT: Shader = shader!("elementwise/unary_int.wgsl");
pub static BINARY_FLOAT: Shader = shader!("elementwise/binary_float.wgsl");
pub static BINARY_INT: Shader = shader!("elementwise/binary_int.wgsl");
pub static COMPARE: Shader = shader!("elementwise/compare.wgsl");
pub static GEMM: Shader = shader!("linalg/gemm.wgsl");
pub static GEMM_SUBGROUP: Shader = shader!("linalg/gemm_subgroup.wgsl");
pub static GEMM_LARGE: Shader = shader!("linalg/gemm_large.wgsl");
pub static GEMM_INT: Shader = shader!("linalg/gemm_int.wgsl");
pub static RESIZE: Shader = shader!("image/resize.wgsl");
pub static CROP_AND_RESIZE: Shader = shader!("image/crop_and_resize.wgsl");
pub static NMS: Shader = shader!("image/nms.wgsl");
pub static BAND_PART: Shader = shader!("linalg/band_part.wgsl");
pub static DEPTHWISE: Shader = shader!("nn/depthwise.wgsl");
pub static DEPTHWISE_VEC4: Shader = shader!("nn/depthwise_vec4.wgsl");
pub static CONV_TRANSPOSE: Shader = shader!("nn/conv_transpose.wgsl");
pub static POOL: Shader = shader!("nn/pool.wgsl");
pub static POOL3D: Shader = shader!("nn/pool3d.wgsl");
pub static LRN: Shader = shader!("nn/lrn.wgsl");
pub static SOFTMAX: Shader = shader!("nn/softmax.wgsl");
pub static AFFINE: Shader = shader!("nn/affine.wgsl");
pub static REDUCE: Shader = shader!("reduce/reduce.wgsl");
pub static STRIDED_COPY: Shader = shader!("data/strided_copy.wgsl");
pub static COPY_INTO: Shader = shader!("data/copy_into.wgsl");
pub static PAD: Shader = shader!("data/pad.wgsl");
pub static CAST: Shader = shader!("data/cast.wgsl");
pub static CAST64: Shader = shader!("data/cast64.wgsl");
pub static CAST_FLOAT: Shader = shader!("data/cast_float.wgsl");
pub static TERNARY: Shader = shader!("elementwise/ternary.wgsl");
pub static CLASSIFY: Shader = shader!("elementwise/classify.wgsl");
pub static GATHER: Shader = shader!("data/gather.wgsl");
pub static REVERSE_SEQUENCE: Shader = shader!("data/reverse_sequence.wgsl");
pub static GATHER_ND: Shader = shader!("data/gather_nd.wgsl");
pub static SCATTER_ND: Shader = shader!("data/scatter_nd.wgsl");
pub static ONE_HOT: Shader = shader!("data/one_hot.wgsl");
pub static ARG: Shader = shader!("reduce/arg.wgsl");
pub static SCAN: Shader = shader!("reduce/scan.wgsl");
pub static TOP_K: Shader = shader!("reduce/top_k.wgsl");
pub static WHERE: Shader = shader!("data/where.wgsl");
pub static UNIQUE: Shader = shader!("data/unique.wgsl");
pub static SELECT_PRED: Shader = shader!("control/select_pred.wgsl");
pub static LIST_GET_ROW: Shader = shader!("control/list_get_row.wgsl");
pub static LIST_SET_ROW: Shader = shader!("control/list_set_row.wgsl");
pub static COPY_IF: Shader = shader!("control/copy_if.wgsl");

/// All shaders, for validation.
/// Files other shaders include (`//#include PATH`), never compiled alone.
pub static ACTIVATION: Shader = shader!("common/activation.wgsl");
pub static INDEX: Shader = shader!("common/index.wgsl");
pub static GROUP_TREE: Shader = shader!("common/group_tree.wgsl");
pub static GROUP_SUBGROUP: Shader = shader!("common/group_subgroup.wgsl");
pub static BINARY_ENTRIES: Shader = shader!("common/binary_entries.wgsl");
pub static EACH: Shader = shader!("common/each.wgsl");
pub static COPY_WORDS: Shader = shader!("common/copy_words.wgsl");
pub static GEMM_EPILOGUE: Shader = shader!("common/gemm_epilogue.wgsl");
pub static GEMM_BASES: Shader = shader!("common/gemm_bases.wgsl");
pub static GEMM_IM2COL: Shader = shader!("common/gemm_im2col.wgsl");
pub static POOL_WINDOW: Shader = shader!("common/pool_window.wgsl");
pub static PAD_BITS: Shader = shader!("common/pad_bits.wgsl");
pub static PAD_F16: Shader = shader!("common/pad_f16.wgsl");
pub static INCLUDES: &[&Shader] = &[&ACTIVATION, &INDEX, &GROUP_TREE, &GROUP_SUBGROUP, &BINARY_ENTRIES, &EACH, &COPY_WORDS, &GEMM_EPILOGUE, &GEMM_BASES, &GEMM_IM2COL, &POOL_WINDOW, &PAD_BITS, &PAD_F16];

pub static ALL: &[&Shader] = &[
    &UNARY_FLOAT,
    &UNARY_INT,
    &BINARY_FLOAT,
    &BINARY_INT,
    &COMPARE,
    &GEMM,
    &GEMM_SUBGROUP,
    &GEMM_LARGE,
    &GEMM_INT,
    &RESIZE,
    &CROP_AND_RESIZE,
    &NMS,
    &BAND_PART,
    &DEPTHWISE,
    &DEPTHWISE_VEC4,
    &CONV_TRANSPOSE,
    &POOL,
    &POOL3D,
    &LRN,
    &SOFTMAX,
    &AFFINE,
    &REDUCE,
    &STRIDED_COPY,
    &COPY_INTO,
    &PAD,
    &CAST,
    &CAST64,
    &CAST_FLOAT,
    &TERNARY,
    &CLASSIFY,
    &GATHER,
    &REVERSE_SEQUENCE,
    &GATHER_ND,
    &SCATTER_ND,
    &ONE_HOT,
    &ARG,
    &SCAN,
    &TOP_K,
    &WHERE,
    &UNIQUE,
    &SELECT_PRED,
    &LIST_GET_ROW,
    &LIST_SET_ROW,
    &COPY_IF,
];
