//! Shader sources, their variants, and the uniform "meta" block that carries shapes.
//!
//! A shader is a real `.wgsl` file under `shaders/`, included at compile time. A variant
//! substitutes type aliases (`alias T = f32;` becomes `alias T = i32;`) and sets WGSL
//! `override` constants (op codes, flags). Shapes never enter the source: they travel in the
//! meta block, so one pipeline serves every shape.

use crate::shaders::Shader;

pub use crate::shaders::{ELEMENT_ALIAS, FLOAT_ALIAS};

/// One compiled form of a shader: the pipeline cache key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ShaderVariant {
    pub shader: &'static Shader,
    pub entry: &'static str,
    /// Type alias substitutions: (alias name, WGSL type).
    pub types: Vec<(&'static str, &'static str)>,
    /// Pipeline-overridable constants: (name, value as integer).
    pub overrides: Vec<(&'static str, i64)>,
    /// Included files replaced by others: (`//#include` path, path included instead).
    pub swaps: Vec<(&'static str, &'static str)>,
}

impl ShaderVariant {
    pub fn new(shader: &'static Shader) -> Self {
        ShaderVariant { shader, entry: "main", types: vec![], overrides: vec![], swaps: vec![] }
    }
    pub fn entry(mut self, entry: &'static str) -> Self {
        self.entry = entry;
        self
    }
    /// Substitutes the type of `alias NAME = <default>;` with `ty`.
    pub fn ty(mut self, name: &'static str, ty: &'static str) -> Self {
        self.types.push((name, ty));
        self
    }
    /// Includes `to` where the shader includes `from` (e.g. subgroup forms of shared code).
    pub fn swap(mut self, from: &'static str, to: &'static str) -> Self {
        self.swaps.push((from, to));
        self
    }
    /// Sets an `override NAME` constant: a number, a bool, or a code of `kernel/codes.rs`
    /// (`.set("MODE", GemmMode::Conv2d)`).
    pub fn set(mut self, name: &'static str, value: impl Into<i64>) -> Self {
        self.overrides.push((name, value.into()));
        self
    }

    /// The WGSL source of this variant: `//#include PATH` lines replaced by the shared files
    /// of [`crate::shaders::INCLUDES`], then the type aliases substituted.
    pub fn source(&self) -> Result<String, String> {
        let mut src = expand_includes(self.shader, &self.swaps)?;
        if self.types.iter().any(|(_, ty)| ty.contains("f16")) {
            src.insert_str(0, "enable f16;\n");
        }
        for (name, ty) in &self.types {
            let from = format!("alias {name} = ");
            let start = src.find(&from).ok_or_else(|| format!("{}: no line '{from}…;' to specialise", self.shader.path))?;
            let end = src[start..].find(';').map(|e| start + e).ok_or_else(|| format!("{}: unterminated alias {name}", self.shader.path))?;
            src.replace_range(start..end, &format!("alias {name} = {ty}"));
        }
        Ok(src)
    }

    /// A readable name: `elementwise/unary.wgsl[T=i32,OP=3]`.
    pub fn label(&self) -> String {
        let mut parts: Vec<String> = self.types.iter().map(|(n, t)| format!("{n}={t}")).collect();
        parts.extend(self.swaps.iter().map(|(_, to)| format!("+{to}")));
        parts.extend(self.overrides.iter().map(|(n, v)| format!("{n}={v}")));
        if self.entry != "main" {
            parts.insert(0, self.entry.to_string());
        }
        format!("{}[{}]", self.shader.path, parts.join(","))
    }
}

/// A shader's source with its `//#include PATH` lines replaced by those files: the shared files
/// of [`crate::shaders::INCLUDES`] (which may include others in turn) and the generated `gen/…`
/// files (op-code constants of [`crate::kernel::codes`], meta structs of
/// [`crate::kernel::meta`]). A file included twice is pasted once, where it is first included.
pub fn expand_includes(shader: &Shader, swaps: &[(&str, &str)]) -> Result<String, String> {
    let mut out = String::with_capacity(shader.source.len());
    let mut seen = Vec::new();
    expand_into(shader.path, shader.source, swaps, &mut seen, 0, &mut out)?;
    Ok(out)
}

fn expand_into(from: &str, source: &str, swaps: &[(&str, &str)], seen: &mut Vec<String>, depth: usize, out: &mut String) -> Result<(), String> {
    for line in source.lines() {
        match line.trim().strip_prefix("//#include ") {
            Some(path) => {
                let path = swaps.iter().find(|(from, _)| *from == path.trim()).map_or(path.trim(), |(_, to)| *to);
                if seen.iter().any(|p| p == path) {
                    continue;
                }
                seen.push(path.to_string());
                if let Some(generated) = crate::kernel::codes::generated(path) {
                    out.push_str(&generated);
                    continue;
                }
                let inc = crate::shaders::INCLUDES
                    .iter()
                    .find(|s| s.path == path)
                    .ok_or_else(|| format!("{from}: '{path}' is not in shaders::INCLUDES"))?;
                if depth >= 4 {
                    return Err(format!("{from}: includes nest too deep at '{path}'"));
                }
                expand_into(inc.path, inc.source, swaps, seen, depth + 1, out)?;
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    Ok(())
}

/// The size of every meta block, in bytes. Shader `Meta` structs must fit in it.
pub const META_BYTES: usize = 256;
/// Rank limit of the generic kernels (shape/stride arrays in meta hold 8 entries).
pub const MAX_RANK: usize = 8;

/// A kernel's meta block (its uniform `cfg`) as words: made from a typed struct of
/// `kernel/meta.rs` (`Meta::from(GemmMeta { … })`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Meta {
    pub words: Vec<u32>,
}

impl Meta {
    /// The block as bytes, padded to `META_BYTES`.
    pub fn bytes(&self) -> Vec<u8> {
        let mut b: Vec<u8> = self.words.iter().flat_map(|w| w.to_le_bytes()).collect();
        b.resize(META_BYTES.max(b.len()), 0);
        b
    }
}

/// The multiplier and shifts dividing any u32 by `d` (d >= 1) with `div_magic`:
/// l = ceil(log2 d), m = floor(2^32 (2^l - d) / d) + 1, shifts min(l, 1) and max(l - 1, 0).
pub fn div_magic(d: u32) -> (u32, u32) {
    let d = d.max(1) as u64;
    let l = 64 - (d - 1).leading_zeros() as u64; // ceil(log2 d); 0 for d = 1
    let m = (((1u64 << 32) * ((1u64 << l) - d)) / d + 1) as u32;
    let (s1, s2) = (l.min(1) as u32, l.saturating_sub(1) as u32);
    (m, s1 | s2 << 8)
}

/// The most loop iterations one invocation may run, all its loops together (each iteration of
/// a nested loop counts, and each loop entered about one more): llvmpipe (lavapipe) counts
/// them in one counter per SIMD batch of invocations and silently ends every loop once it
/// reaches 65535 — a kernel that loops longer computes a wrong answer, it does not fail.
pub const MAX_LOOP_ITERATIONS: usize = 65535;

/// What a kernel's data-dependent loops may plan per invocation: a quarter of
/// [`MAX_LOOP_ITERATIONS`], leaving room for its fixed loops (index walks, workgroup trees).
/// Kernels whose loops follow a tensor's size (a row, a reduced extent, K of a matrix product)
/// split that work over more workgroups or more dispatches to stay within it.
pub const LOOP_BUDGET: usize = 16384;

/// The most workgroups a dispatch may have along one dimension (WebGPU's default limit).
pub const MAX_GROUPS_PER_DIM: u32 = 65535;

/// Workgroup counts covering `groups` workgroups, spread over 2-D (and 3-D) when above the
/// per-dimension limit. Shaders rebuild the linear index from `num_workgroups`.
pub fn spread_groups(groups: usize) -> [u32; 3] {
    let max = MAX_GROUPS_PER_DIM as usize;
    if groups <= max {
        return [groups as u32, 1, 1];
    }
    let y = groups.div_ceil(max);
    if y <= max {
        let x = groups.div_ceil(y);
        return [x as u32, y as u32, 1];
    }
    let z = y.div_ceil(max);
    let y2 = y.div_ceil(z);
    [max as u32, y2 as u32, z as u32]
}

/// Workgroups for one thread per element, `wg` threads per group.
pub fn grid(elements: usize, wg: usize) -> [u32; 3] {
    spread_groups(elements.div_ceil(wg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_covers_all_groups_within_limits() {
        for g in [0usize, 1, 65535, 65536, 200_000, 65535 * 65535 + 7] {
            let [x, y, z] = spread_groups(g);
            assert!(x <= MAX_GROUPS_PER_DIM && y <= MAX_GROUPS_PER_DIM && z <= MAX_GROUPS_PER_DIM);
            assert!(x as usize * y as usize * z as usize >= g, "{g}");
        }
    }

    #[test]
    fn magic_division_is_exact() {
        fn mulhi(a: u32, b: u32) -> u32 {
            ((a as u64 * b as u64) >> 32) as u32
        }
        for d in [1u32, 2, 3, 5, 7, 10, 49, 96, 112, 224, 1000, 12544, 65535, 65536, 1 << 20, 0x7fff_ffff, u32::MAX] {
            let (m, s) = div_magic(d);
            for n in [0u32, 1, 2, d - 1, d, d.wrapping_add(1), 12345, 1 << 24, (1 << 24) + 1, 0x8000_0000, u32::MAX - 1, u32::MAX] {
                let t = mulhi(m, n);
                let q = (t + ((n - t) >> (s & 0xff))) >> (s >> 8);
                assert_eq!(q, n / d, "{n} / {d}");
            }
        }
    }

    #[test]
    fn mulhi_from_16_bit_halves_is_exact() {
        // The WGSL mulhi of common/index.wgsl, in u32 arithmetic.
        fn mulhi16(a: u32, b: u32) -> u32 {
            let (a_lo, a_hi, b_lo, b_hi) = (a & 0xffff, a >> 16, b & 0xffff, b >> 16);
            let t = a_hi * b_lo + ((a_lo * b_lo) >> 16);
            let w1 = (t & 0xffff) + a_lo * b_hi;
            a_hi * b_hi + (t >> 16) + (w1 >> 16)
        }
        let mut x = 0x9e37_79b9u32;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let y = x.rotate_left(11) ^ 0x5bd1_e995;
            assert_eq!(mulhi16(x, y), ((x as u64 * y as u64) >> 32) as u32, "{x} * {y}");
        }
        assert_eq!(mulhi16(u32::MAX, u32::MAX), u32::MAX - 1);
    }
}
