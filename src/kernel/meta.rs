//! Typed meta blocks: the uniform `cfg` of a kernel family as a `#[repr(C)]` `Pod` struct.
//! Each struct is declared once, here; its WGSL declaration is generated from it and pulled
//! into shaders by `//#include gen/meta/<name>.wgsl` (then `var<uniform> cfg: <Name>;`).
//! `tests/shaders.rs` checks that naga lays each WGSL struct out at the Rust offsets.
//!
//! WGSL's uniform layout aligns an 8-entry array (`array<vec4<u32>, 2>`, `[u32; 8]` here) to
//! 16 bytes: structs spell that padding out as `_pad` fields (Pod has no implicit padding).
//! Blocks are written padded to [`crate::kernel::META_BYTES`]. Every kernel's meta is one of
//! these structs; the positional [`Meta`] builder serves the layout tests only.
use crate::kernel::{Meta, MAX_RANK, META_BYTES};

/// A type that may be a meta field, with its WGSL spelling.
pub trait WgslType {
    const WGSL: &'static str;
}
impl WgslType for u32 {
    const WGSL: &'static str = "u32";
}
impl WgslType for i32 {
    const WGSL: &'static str = "i32";
}
impl WgslType for f32 {
    const WGSL: &'static str = "f32";
}
impl WgslType for [u32; MAX_RANK] {
    const WGSL: &'static str = "array<vec4<u32>, 2>";
}
impl WgslType for [i32; MAX_RANK] {
    const WGSL: &'static str = "array<vec4<i32>, 2>";
}

/// A typed meta block.
pub trait MetaBlock: bytemuck::Pod {
    /// The WGSL struct's name (the Rust name).
    const NAME: &'static str;
    /// Its generated include.
    const PATH: &'static str;
    /// (name, WGSL type, byte offset) of every field.
    fn fields() -> Vec<(&'static str, &'static str, usize)>;

    /// The WGSL declaration.
    fn wgsl() -> String {
        let mut s = format!("// Generated from the Rust struct {} (src/kernel/meta.rs).\nstruct {} {{\n", Self::NAME, Self::NAME);
        for (name, ty, _) in Self::fields() {
            s.push_str(&format!("    {name}: {ty},\n"));
        }
        s.push_str("}\n");
        s
    }
}

impl Meta {
    /// The block of a typed meta struct.
    pub fn of<T: MetaBlock>(block: &T) -> Meta {
        Meta { words: bytemuck::bytes_of(block).chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect() }
    }
}

/// A usize as a meta word (saturating, as [`Meta::n`]).
pub fn w(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// An 8-entry array: `v`, then `fill` (as [`Meta::arr`]).
pub fn dims(v: &[usize], fill: u32) -> [u32; MAX_RANK] {
    std::array::from_fn(|k| v.get(k).map_or(fill, |&x| w(x)))
}

/// An 8-entry array of signed values, then 0 (as [`Meta::arr_i`]).
pub fn dims_i(v: &[i64]) -> [i32; MAX_RANK] {
    std::array::from_fn(|k| v.get(k).map_or(0, |&x| x as i32))
}

/// The multipliers and shifts dividing by each of `dims` (as [`Meta::divisors`]).
pub fn divisors(d: &[usize]) -> ([u32; MAX_RANK], [u32; MAX_RANK]) {
    let magic: [(u32, u32); MAX_RANK] = std::array::from_fn(|k| crate::kernel::shader::div_magic(d.get(k).map_or(1, |&x| x.max(1) as u32)));
    (magic.map(|m| m.0), magic.map(|m| m.1))
}

/// Declares meta structs: the Rust struct, its WGSL declaration and its include path.
macro_rules! meta_blocks {
    ($($(#[$m:meta])* $name:ident, $path:literal { $($(#[$fm:meta])* $f:ident: $t:ty,)* })*) => {
        $(
            $(#[$m])*
            #[repr(C)]
            #[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
            pub struct $name {
                $($(#[$fm])* pub $f: $t,)*
            }

            impl MetaBlock for $name {
                const NAME: &'static str = stringify!($name);
                const PATH: &'static str = $path;
                fn fields() -> Vec<(&'static str, &'static str, usize)> {
                    vec![$((stringify!($f), <$t as WgslType>::WGSL, std::mem::offset_of!($name, $f)),)*]
                }
            }

            const _: () = assert!(std::mem::size_of::<$name>() <= META_BYTES);

            impl From<$name> for Meta {
                fn from(m: $name) -> Meta {
                    Meta::of(&m)
                }
            }
        )*

        /// The WGSL of a generated meta include, if `path` names one.
        pub fn generated(path: &str) -> Option<String> {
            $(if path == $path {
                return Some(<$name as MetaBlock>::wgsl());
            })*
            None
        }

        /// Every meta struct: (name, include path, WGSL, size, (field, byte offset)).
        #[allow(clippy::type_complexity)]
        pub fn all() -> Vec<(&'static str, &'static str, String, usize, Vec<(&'static str, usize)>)> {
            vec![$((
                stringify!($name),
                $path,
                <$name as MetaBlock>::wgsl(),
                std::mem::size_of::<$name>(),
                <$name as MetaBlock>::fields().into_iter().map(|(n, _, o)| (n, o)).collect(),
            ),)*]
        }
    };
}

meta_blocks! {
    /// `elementwise/unary_float.wgsl`: n elements, the op's parameters.
    UnaryMeta, "gen/meta/unary.wgsl" {
        n: u32,
        alpha: f32,
        beta: f32,
        _pad: u32,
    }

    /// `elementwise/unary_int.wgsl`.
    UnaryIntMeta, "gen/meta/unary_int.wgsl" {
        n: u32,
        alpha: i32,
        beta: i32,
        _pad: u32,
    }

    /// One count: `elementwise/classify.wgsl`, `data/unique.wgsl`, `control/copy_if.wgsl`,
    /// `control/select_pred.wgsl`.
    CountMeta, "gen/meta/count.wgsl" {
        n: u32,
        _pad0: u32,
        _pad1: u32,
        _pad2: u32,
    }

    /// Two operands broadcast to an output shape (`binary_float`, `binary_int`, `compare`):
    /// the strides of a and b over `shape` (0 on broadcast dims), and the divisors of `shape`'s
    /// dims (`common/index.wgsl`). A dense dispatch (operands of the output's shape) sets `n`
    /// only.
    BroadcastMeta, "gen/meta/broadcast.wgsl" {
        n: u32,
        rank: u32,
        flags: u32,
        _pad: u32,
        shape: [u32; 8],
        sa: [u32; 8],
        sb: [u32; 8],
        magic: [u32; 8],
        shifts: [u32; 8],
    }

    /// `elementwise/ternary.wgsl`: three operands broadcast to `shape`; `flags` bit k: operand
    /// k has the output's shape.
    TernaryMeta, "gen/meta/ternary.wgsl" {
        n: u32,
        rank: u32,
        flags: u32,
        _pad: u32,
        shape: [u32; 8],
        sa: [u32; 8],
        sb: [u32; 8],
        sc: [u32; 8],
    }

    /// `data/cast.wgsl`, `data/cast64.wgsl`: the destination's integer width and signedness.
    CastMeta, "gen/meta/cast.wgsl" {
        n: u32,
        bits: u32,
        signed: u32,
        _pad: u32,
    }

    /// `reduce/reduce.wgsl`: kept dims (the outputs) and reduced dims, each with its input
    /// strides; long reductions in `parts` of `chunk`; `count`, the whole reduction's length;
    /// `scale`, what a sum's final pass multiplies by before storing (1: none).
    ReduceMeta, "gen/meta/reduce.wgsl" {
        n_out: u32,
        n_red: u32,
        kept_rank: u32,
        red_rank: u32,
        parts: u32,
        chunk: u32,
        count: u32,
        scale: f32,
        kept_shape: [u32; 8],
        kept_strides: [u32; 8],
        red_shape: [u32; 8],
        red_strides: [u32; 8],
    }

    /// `reduce/arg.wgsl`: the input as [n_out / inner, len, inner], long axes in parts.
    ArgMeta, "gen/meta/arg.wgsl" {
        n_out: u32,
        len: u32,
        inner: u32,
        parts: u32,
        chunk: u32,
        _p0: u32,
        _p1: u32,
        _p2: u32,
    }

    /// `reduce/scan.wgsl`: lines of `len` (stride `inner`), in `nblocks` blocks of `block`.
    ScanMeta, "gen/meta/scan.wgsl" {
        lines: u32,
        len: u32,
        inner: u32,
        flags: u32,
        block: u32,
        nblocks: u32,
        _p0: u32,
        _p1: u32,
    }

    /// `linalg/gemm.wgsl`: C = A·B by strides (MODE 0), or a convolution's implicit GEMM (the
    /// image geometry: 2-D in MODE 1 and 2, with the depth fields in MODE 3 and 4). `k_off`,
    /// `m_off`, `z_off`: where this dispatch's K, rows and batches start; `c_*`: C's strides
    /// (all 0: C contiguous).
    GemmMeta, "gen/meta/gemm.wgsl" {
        m: u32, n: u32, k: u32, batch_inner: u32,
        a_rs: u32, a_cs: u32, b_rs: u32, b_cs: u32,
        a_bs0: u32, a_bs1: u32, b_bs0: u32, b_bs1: u32,
        ih: u32, iw: u32, ic: u32, oh: u32,
        ow: u32, kh: u32, kw: u32, sh: u32,
        sw: u32, dh: u32, dw: u32, pt: u32,
        pl: u32, alpha: f32, k_off: u32, m_off: u32,
        id: u32, od: u32, kd: u32, sd: u32,
        dd: u32, pf: u32, z_off: u32, _p3: u32,
        c_bs0: u32, c_bs1: u32, c_rs: u32, c_cs: u32,
    }

    /// `linalg/gemm_subgroup.wgsl`: as [`GemmMeta`] (MODE 0 and 2 by strides, MODE 1 the 2-D
    /// im2col view).
    GemmSubgroupMeta, "gen/meta/gemm_subgroup.wgsl" {
        m: u32, n: u32, k: u32, batch_inner: u32,
        a_rs: u32, a_cs: u32, b_rs: u32, b_cs: u32,
        a_bs0: u32, a_bs1: u32, b_bs0: u32, b_bs1: u32,
        alpha: f32, _p0: u32, _p1: u32, _p2: u32,
        ih: u32, iw: u32, ic: u32, oh: u32,
        ow: u32, kh: u32, kw: u32, sh: u32,
        sw: u32, dh: u32, dw: u32, pt: u32,
        pl: u32, m_off: u32, z_off: u32, _p5: u32,
    }

    /// `linalg/gemm_int.wgsl`: C contiguous, `count` outputs.
    GemmIntMeta, "gen/meta/gemm_int.wgsl" {
        m: u32, n: u32, k: u32, batch_inner: u32,
        a_rs: u32, a_cs: u32, b_rs: u32, b_cs: u32,
        a_bs0: u32, a_bs1: u32, b_bs0: u32, b_bs1: u32,
        count: u32, _p0: u32, _p1: u32, _p2: u32,
    }

    /// `nn/pool.wgsl`: NHWC windows.
    PoolMeta, "gen/meta/pool.wgsl" {
        n_out: u32, ih: u32, iw: u32, c: u32,
        oh: u32, ow: u32, kh: u32, kw: u32,
        sh: u32, sw: u32, pt: u32, pl: u32,
    }

    /// `nn/pool3d.wgsl`: NDHWC windows.
    Pool3dMeta, "gen/meta/pool3d.wgsl" {
        n_out: u32, c: u32, _p0: u32, _p1: u32,
        id: u32, ih: u32, iw: u32, _p2: u32,
        od: u32, oh: u32, ow: u32, _p3: u32,
        kd: u32, kh: u32, kw: u32, _p4: u32,
        sd: u32, sh: u32, sw: u32, _p5: u32,
        pf: u32, pt: u32, pl: u32, _p6: u32,
    }

    /// `nn/depthwise.wgsl`.
    DepthwiseMeta, "gen/meta/depthwise.wgsl" {
        n_out: u32, ih: u32, iw: u32, ic: u32,
        oh: u32, ow: u32, oc: u32, mult: u32,
        kh: u32, kw: u32, sh: u32, sw: u32,
        dh: u32, dw: u32, pt: u32, pl: u32,
        alpha: f32, _p0: u32, _p1: u32, _p2: u32,
    }

    /// `nn/depthwise_vec4.wgsl`: channels in fours, `owb` output columns per invocation.
    DepthwiseVec4Meta, "gen/meta/depthwise_vec4.wgsl" {
        n: u32, ih: u32, iw: u32, c4: u32,
        oh: u32, ow: u32, owb: u32, kh: u32,
        kw: u32, sh: u32, sw: u32, dh: u32,
        dw: u32, pt: u32, pl: u32, alpha: f32,
    }

    /// `nn/conv_transpose.wgsl`.
    ConvTransposeMeta, "gen/meta/conv_transpose.wgsl" {
        n_out: u32, ih: u32, iw: u32, ic: u32,
        oh: u32, ow: u32, oc: u32, kh: u32,
        kw: u32, sh: u32, sw: u32, dh: u32,
        dw: u32, pt: u32, pl: u32, _p0: u32,
    }

    /// `nn/affine.wgsl`: y = x·scale[c] + shift[c] over [.., channels, inner].
    AffineMeta, "gen/meta/affine.wgsl" {
        n: u32,
        channels: u32,
        inner: u32,
        alpha: f32,
    }

    /// `data/copy_into.wgsl`: a tensor of `shape` written at `base` of a larger one with
    /// `strides`.
    CopyMeta, "gen/meta/copy.wgsl" {
        n: u32,
        rank: u32,
        base: u32,
        _pad: u32,
        shape: [u32; 8],
        strides: [u32; 8],
    }

    /// `data/strided_copy.wgsl`: the output's `shape` read from `base` of the input with signed
    /// `strides` (transposes, slices, reversals).
    StridedCopyMeta, "gen/meta/strided_copy.wgsl" {
        n: u32,
        rank: u32,
        base: u32,
        _pad: u32,
        shape: [u32; 8],
        strides: [i32; 8],
    }

    /// `data/pad.wgsl`: the pad value's bits (`value_hi`: the high word of a 64-bit one).
    PadMeta, "gen/meta/pad.wgsl" {
        n: u32,
        rank: u32,
        value: u32,
        value_hi: u32,
        out_shape: [u32; 8],
        in_shape: [u32; 8],
        before: [u32; 8],
        in_strides: [u32; 8],
    }

    /// `data/gather.wgsl`: params as [outer, n, inner] words, `k` indices per outer row.
    GatherMeta, "gen/meta/gather.wgsl" {
        count: u32,
        outer: u32,
        n: u32,
        k: u32,
        inner: u32,
        _pad0: u32,
        _pad1: u32,
        _pad2: u32,
    }

    /// `data/gather_nd.wgsl`, `data/scatter_nd.wgsl`: `count` index tuples of `q` entries
    /// into `dims`, each selecting `inner` elements.
    IndexNdMeta, "gen/meta/index_nd.wgsl" {
        count: u32,
        q: u32,
        inner: u32,
        _pad: u32,
        dims: [u32; 8],
    }

    /// `data/one_hot.wgsl`: the on and off values' bits.
    OneHotMeta, "gen/meta/one_hot.wgsl" {
        count: u32,
        depth: u32,
        inner: u32,
        on: u32,
        off: u32,
        _pad0: u32,
        _pad1: u32,
        _pad2: u32,
    }

    /// `data/where.wgsl`: the input's shape, in `nchunks` chunks of `chunk`.
    WhereMeta, "gen/meta/where.wgsl" {
        n: u32,
        rank: u32,
        chunk: u32,
        nchunks: u32,
        shape: [u32; 8],
    }

    /// `data/reverse_sequence.wgsl`: the sequence and batch dims' sizes and word strides.
    ReverseSequenceMeta, "gen/meta/reverse_sequence.wgsl" {
        n: u32,
        seq_dim: u32,
        seq_stride: u32,
        batch_dim: u32,
        batch_stride: u32,
        _pad0: u32,
        _pad1: u32,
        _pad2: u32,
    }

    /// `linalg/band_part.wgsl`: the band's sub- and super-diagonals kept (negative: all).
    BandPartMeta, "gen/meta/band_part.wgsl" {
        n: u32, rows: u32, cols: u32, _p0: u32,
        lower: i32, upper: i32, _p1: u32, _p2: u32,
    }

    /// `image/resize.wgsl`: NHWC, the source step per output pixel.
    ResizeMeta, "gen/meta/resize.wgsl" {
        n: u32, ih: u32, iw: u32, c: u32,
        oh: u32, ow: u32, sy: f32, sx: f32,
    }

    /// `image/crop_and_resize.wgsl`: crops of ch × cw from a batch of NHWC images.
    CropAndResizeMeta, "gen/meta/crop_and_resize.wgsl" {
        n: u32, batch: u32, ih: u32, iw: u32,
        c: u32, ch: u32, cw: u32, extrapolation: f32,
    }

    /// `image/nms.wgsl`: `n` boxes, rounds `first` to `first + rounds` of `max_out`, outputs
    /// padded to `pad`; soft-NMS decays by exp(`scale` · IoU²).
    NmsMeta, "gen/meta/nms.wgsl" {
        n: u32, max_out: u32, pad: u32, first: u32,
        iou_threshold: f32, score_threshold: f32, scale: f32, rounds: u32,
    }

    /// `reduce/top_k.wgsl`. `block`, `block_filtered`, `maxima`: `rows` of `len` in `runs`
    /// blocks, runs of `run`, the best `k`. `merge`: `runs` runs of `run` per row merged into
    /// `out_runs` runs of `out_run`, `total` invocations.
    TopKMeta, "gen/meta/top_k.wgsl" {
        rows: u32, len: u32, runs: u32, run: u32,
        k: u32, out_run: u32, total: u32, out_runs: u32,
    }

    /// `control/list_get_row.wgsl`, `control/list_set_row.wgsl`: a stacked list of `rows` rows
    /// of `row_len` words (`n` = rows · row_len).
    ListRowMeta, "gen/meta/list_row.wgsl" {
        n: u32,
        row_len: u32,
        rows: u32,
        _pad: u32,
    }

    /// `nn/lrn.wgsl`.
    LrnMeta, "gen/meta/lrn.wgsl" {
        n: u32, depth: u32, radius: u32, _p0: u32,
        bias: f32, alpha: f32, beta: f32, _p1: u32,
    }

    /// `nn/softmax.wgsl`: rows of `cols`, long rows in `parts` of `chunk`.
    SoftmaxMeta, "gen/meta/softmax.wgsl" {
        rows: u32,
        cols: u32,
        parts: u32,
        chunk: u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_follow_wgsl_uniform_layout() {
        // Arrays of 8 start on 16-byte boundaries (the `_pad` word), and the block is padded to
        // META_BYTES.
        let shape = [2usize, 3, 5];
        let (magic, shifts) = divisors(&shape);
        let m = Meta::of(&BroadcastMeta { n: 30, rank: 3, shape: dims(&shape, 1), sa: dims(&[15, 5, 1], 0), sb: dims(&[0, 1, 0], 0), magic, shifts, ..Default::default() });
        assert_eq!(m.words[..4], [30, 3, 0, 0]);
        assert_eq!(m.words[4..12], [2, 3, 5, 1, 1, 1, 1, 1]);
        assert_eq!(m.words[12..20], [15, 5, 1, 0, 0, 0, 0, 0]);
        assert_eq!(m.words[20..28], [0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(m.words[28..36], magic);
        assert_eq!(m.bytes().len(), META_BYTES);
        let m = Meta::of(&StridedCopyMeta { n: 6, rank: 2, base: 4, shape: dims(&[2, 3], 1), strides: dims_i(&[-3, 1]), ..Default::default() });
        assert_eq!(m.words[..4], [6, 2, 4, 0]);
        assert_eq!(m.words[12..14], [(-3i32) as u32, 1]);
        // Floats travel as their bits.
        let m = Meta::of(&NmsMeta { iou_threshold: 0.5, ..Default::default() });
        assert_eq!(m.words[4], 0.5f32.to_bits());
    }
}
