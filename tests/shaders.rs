//! Every `shaders/**/*.wgsl` file parses and validates with naga, and is listed in
//! `wgtf::shaders::ALL` (so no kernel is dead or referenced by a loose string).
use std::path::{Path, PathBuf};

fn wgsl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            wgsl_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "wgsl") {
            out.push(p);
        }
    }
}

fn validate(name: &str, src: &str) {
    let module = naga::front::wgsl::parse_str(src).unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(src)));
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::all())
        .validate(&module)
        .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(src)));
}

#[test]
fn every_shader_file_validates_and_is_registered() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut files = Vec::new();
    wgsl_files(&root, &mut files);
    assert!(files.len() >= 10, "found only {} shader files under {}", files.len(), root.display());
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        if wgtf::shaders::INCLUDES.iter().any(|s| s.path == rel) {
            // Validated as part of the shaders that include it (below).
            // (group_subgroup.wgsl replaces group_tree.wgsl in variants, pad_f16.wgsl pad_bits.wgsl
            // in f16 ones: see below.)
            let swapped_in = rel == "common/group_subgroup.wgsl" || rel == "common/pad_f16.wgsl";
            let mut includers = wgtf::shaders::ALL.iter().chain(wgtf::shaders::INCLUDES.iter());
            assert!(swapped_in || includers.any(|s| s.source.contains(&format!("//#include {rel}"))), "{rel} is included by no shader");
            continue;
        }
        let s = wgtf::shaders::ALL.iter().find(|s| s.path == rel).unwrap_or_else(|| panic!("{rel} is not listed in src/shaders.rs ALL"));
        assert_eq!(s.source, std::fs::read_to_string(f).unwrap());
        validate(&rel, &wgtf::kernel::ShaderVariant::new(s).source().unwrap());
    }
    assert_eq!(files.len(), wgtf::shaders::ALL.len() + wgtf::shaders::INCLUDES.len(), "src/shaders.rs lists a shader that has no file");
}

#[test]
fn type_variants_validate() {
    // The integer forms that ops use.
    for s in wgtf::shaders::ALL {
        // Softmax names its value type T for the shared reductions but is float only.
        if s.source.contains("alias T = f32;") && s.path != "nn/softmax.wgsl" {
            let v = wgtf::kernel::ShaderVariant::new(s).ty("T", "i32");
            validate(&v.label(), &v.source().unwrap());
        }
    }
}

#[test]
fn int64_variants_validate() {
    // The 64-bit integer forms (adapters with SHADER_INT64), and cast64's conversions.
    use wgtf::kernel::ShaderVariant;
    use wgtf::shaders::*;
    let mut variants = vec![
        ShaderVariant::new(&BINARY_INT).ty("T", "i64"),
        ShaderVariant::new(&UNARY_INT).ty("T", "i64"),
        ShaderVariant::new(&COMPARE).ty("T", "i64"),
        ShaderVariant::new(&REDUCE).ty("T", "i64").ty("X", "i64").ty("Y", "i64"),
        ShaderVariant::new(&SCAN).ty("T", "i64"),
        ShaderVariant::new(&ARG).ty("T", "i64").ty("O", "i64"),
        ShaderVariant::new(&ARG).ty("T", "f32").ty("O", "i64"),
        ShaderVariant::new(&GATHER).set("IDX64", 1),
    ];
    for (s, d) in [("i64", "f32"), ("i64", "i32"), ("f32", "i64"), ("i32", "i64")] {
        variants.push(ShaderVariant::new(&CAST64).ty("S", s).ty("D", d));
    }
    for v in variants {
        validate(&v.label(), &v.source().unwrap());
    }
}

#[test]
fn f16_variants_validate() {
    // `--precision f16`: every shader that names its float storage `F` compiles with F = f16
    // (and `enable f16;`), with each of its VEC4 forms; and the f32 <-> f16 storage casts.
    use wgtf::kernel::{ShaderVariant, FLOAT_ALIAS};
    use wgtf::shaders::*;
    let mut n = 0;
    for s in wgtf::shaders::ALL.iter().chain(wgtf::shaders::INCLUDES.iter()) {
        // The flags the planner reads are the sources' declarations.
        assert_eq!(s.float_alias, s.source.contains(FLOAT_ALIAS), "{}", s.path);
        assert_eq!(s.element_alias, s.source.contains(wgtf::kernel::ELEMENT_ALIAS), "{}", s.path);
    }
    for s in wgtf::shaders::ALL.iter().filter(|s| s.float_alias) {
        let mut v = ShaderVariant::new(s).ty("F", "f16");
        for flag in ["VEC4", "B_VEC4"] {
            if s.source.contains(&format!("override {flag}")) {
                v = v.set(flag, 1);
            }
        }
        let src = v.source().unwrap();
        assert!(src.starts_with("enable f16;"), "{}", v.label());
        validate(&v.label(), &src);
        n += 1;
    }
    assert!(n >= 9, "only {n} shaders have f16 forms");
    for (s, d) in [("f32", "f16"), ("f16", "f32")] {
        let v = ShaderVariant::new(&CAST_FLOAT).ty("S", s).ty("D", d);
        validate(&v.label(), &v.source().unwrap());
    }
    let sub = ShaderVariant::new(&GEMM_SUBGROUP).ty("F", "f16").set("MODE", 1).set("VEC4", 1);
    validate(&sub.label(), &sub.source().unwrap());
    // Reductions: f16 in, f32 partial results, f16 out (with subgroups too).
    for (x, y) in [("f16", "f16"), ("f16", "f32"), ("f32", "f16")] {
        let v = ShaderVariant::new(&REDUCE).ty("X", x).ty("Y", y);
        validate(&v.label(), &v.source().unwrap());
        let v = v.swap("common/group_tree.wgsl", "common/group_subgroup.wgsl");
        validate(&v.label(), &v.source().unwrap());
    }
    // Kernels moving elements of any type, as f16 elements.
    for s in wgtf::shaders::ALL.iter().filter(|s| s.source.contains(wgtf::kernel::ELEMENT_ALIAS)) {
        let mut v = ShaderVariant::new(s).ty("E", "f16");
        if s.path == "data/pad.wgsl" {
            v = v.swap("common/pad_bits.wgsl", "common/pad_f16.wgsl");
        }
        validate(&v.label(), &v.source().unwrap());
        n += 1;
    }
    assert!(n >= 12, "only {n} shaders have f16 forms");
}

#[test]
fn subgroup_reduction_variants_validate() {
    // The forms chosen where the adapter has subgroups (Target::group_reduce).
    use wgtf::kernel::ShaderVariant;
    use wgtf::shaders::*;
    let swap = |v: ShaderVariant| v.swap("common/group_tree.wgsl", "common/group_subgroup.wgsl");
    for ty in ["f32", "i32"] {
        let v = swap(ShaderVariant::new(&REDUCE).ty("T", ty).ty("X", ty).ty("Y", ty));
        validate(&v.label(), &v.source().unwrap());
    }
    let v = swap(ShaderVariant::new(&SOFTMAX));
    validate(&v.label(), &v.source().unwrap());
}

/// The `switch` blocks of a WGSL source: (switched expression, labels of its cases).
fn switches(src: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(at) = rest.find("switch ") {
        let after = &rest[at + "switch ".len()..];
        let open = after.find('{').expect("switch without a body");
        let expr = after[..open].trim().to_string();
        // The body: up to the brace that closes the one after the expression.
        let (mut depth, mut end) = (0, 0);
        for (i, ch) in after[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let body = &after[open + 1..end];
        let mut labels = Vec::new();
        let mut depth = 0;
        for line in body.lines() {
            let t = line.trim();
            if depth == 0 {
                if let Some(l) = t.strip_prefix("case ") {
                    let l = &l[..l.find(':').expect("case without ':'")];
                    labels.extend(l.split(',').map(|x| x.trim().to_string()));
                } else if t.starts_with("default") {
                    labels.push("default".into());
                }
            }
            depth += t.matches('{').count() as i32 - t.matches('}').count() as i32;
        }
        out.push((expr, labels));
        rest = &after[end..];
    }
    out
}

#[test]
fn op_code_cases_match_the_rust_enums() {
    // Every `case` of a kernel's switch on its op code names a variant of the code enum it
    // includes (`//#include gen/…`, generated from src/kernel/codes.rs), never a number; and
    // every variant is used (a `case` or a comparison) by the kernels that include its enum.
    let files: Vec<&wgtf::shaders::Shader> = wgtf::shaders::ALL.iter().chain(wgtf::shaders::INCLUDES.iter()).copied().collect();
    for (path, prefix, variants) in wgtf::kernel::codes::all() {
        let users: Vec<_> = files.iter().filter(|s| s.source.contains(&format!("//#include {path}"))).collect();
        assert!(!users.is_empty(), "{path} is included by no shader");
        let mut covered = std::collections::BTreeSet::new();
        for s in &users {
            for (expr, labels) in switches(s.source) {
                let named: Vec<&String> = labels.iter().filter(|l| *l != "default").collect();
                let ours = named.iter().any(|l| l.starts_with(prefix));
                if !ours && !["OP", "op", "code"].contains(&expr.as_str()) {
                    continue; // a switch on something else (STAGE, MODE …)
                }
                for l in named {
                    assert!(variants.iter().any(|(n, _)| n == l), "{}: `case {l}` in `switch {expr}` names no variant of {path}", s.path);
                    covered.insert(l.clone());
                }
            }
        }
        // Every variant is used: a `case`, or a comparison (`if (MODE == GEMM_CONV2D)`).
        for (n, _) in &variants {
            let named = users.iter().any(|s| words(s.source).any(|w| w == n));
            let users: Vec<_> = users.iter().map(|s| s.path).collect();
            assert!(covered.contains(n) || named, "{n} ({path}) is used by none of {users:?}");
        }
    }
    // Variants stay distinct codes.
    for (path, _, variants) in wgtf::kernel::codes::all() {
        let mut codes: Vec<u32> = variants.iter().map(|v| v.1).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), variants.len(), "{path}: two variants share a code");
    }
}


/// The identifiers of WGSL source outside comments.
fn words(src: &str) -> impl Iterator<Item = &str> {
    src.lines().map(|l| l.split("//").next().unwrap_or("")).flat_map(|l| l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))).filter(|w| !w.is_empty())
}

/// Where a WGSL source uses a number for a `u32` override (a selector): its default, a
/// comparison with it, or a `case` of a switch on it. Returns (selectors found, violations).
fn numbered_selectors(src: &str) -> (usize, Vec<String>) {
    let number = |t: &str| t.trim().trim_end_matches('u').parse::<u64>().is_ok();
    let code: String = src.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    let (mut selectors, mut bad) = (0, Vec::new());
    for line in code.lines() {
        let Some(decl) = line.trim().strip_prefix("override ") else { continue };
        let Some((name, rest)) = decl.split_once(':') else { continue };
        let Some(default) = rest.trim().strip_prefix("u32 = ") else { continue };
        let name = name.trim();
        selectors += 1;
        if number(default.trim_end_matches(';')) {
            bad.push(format!("`override {name}` defaults to a number"));
        }
        for op in ["==", "!="] {
            for (i, _) in code.match_indices(&format!("{name} {op} ")) {
                if code[..i].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                    continue; // another identifier ending in `name`
                }
                let operand: String = code[i + name.len() + op.len() + 2..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if number(&operand) {
                    bad.push(format!("`{name} {op} {operand}` compares a selector with a number"));
                }
            }
        }
        for (expr, labels) in switches(src) {
            if expr == name {
                bad.extend(labels.iter().filter(|l| *l != "default" && number(l)).map(|l| format!("`case {l}` of `switch {name}` is a number")));
            }
        }
    }
    (selectors, bad)
}

#[test]
fn selectors_are_named_never_numbers() {
    // A `u32` override picks a kernel's op or form (OP, MODE, STAGE, ACT): its default, every
    // comparison with it and every `case` of a switch on it name a generated constant of
    // src/kernel/codes.rs, never a number that must match Rust by hand. On/off choices are
    // `bool` overrides.
    let mut selectors = 0;
    for s in wgtf::shaders::ALL.iter().chain(wgtf::shaders::INCLUDES.iter()) {
        let (n, bad) = numbered_selectors(s.source);
        assert!(bad.is_empty(), "{}: {bad:?}", s.path);
        selectors += n;
    }
    assert!(selectors > 20, "found only {selectors} selectors: is the scan broken?");
    // The scan finds each kind of number.
    let bad = "override MODE: u32 = 0u;\nfn f() {\n    if (MODE == 2u) {}\n    if (XMODE == 3u) {}\n    switch MODE {\n        case 1u: {}\n        default: {}\n    }\n}\n";
    assert_eq!(numbered_selectors(bad).1.len(), 3, "{:?}", numbered_selectors(bad));
    let good = "override MODE: u32 = PAD_CONSTANT;\nfn f() {\n    if (MODE == PAD_REFLECT) {}\n    // MODE == 1u in a comment\n}\n";
    assert_eq!(numbered_selectors(good), (1, vec![]));
}

#[test]
fn meta_structs_match_their_wgsl_layout() {
    // Each typed meta block (src/kernel/meta.rs) and the WGSL struct generated from it: naga
    // lays the WGSL out at the Rust offsets and size, in uniform address space rules.
    for (name, path, wgsl, size, fields) in wgtf::kernel::meta::all() {
        let src = format!("{wgsl}\n@group(0) @binding(0) var<uniform> cfg: {name};\n@compute @workgroup_size(1) fn main() {{ _ = cfg; }}\n");
        let module = naga::front::wgsl::parse_str(&src).unwrap_or_else(|e| panic!("{path}: {}", e.emit_to_string(&src)));
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::all())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{path}: {}", e.emit_to_string(&src)));
        let mut layouter = naga::proc::Layouter::default();
        layouter.update(module.to_ctx()).unwrap();
        let (handle, ty) = module.types.iter().find(|(_, t)| t.name.as_deref() == Some(name)).unwrap();
        let naga::TypeInner::Struct { members, span } = &ty.inner else { panic!("{name} is not a struct") };
        let wgsl_fields: Vec<(&str, usize)> = members.iter().map(|m| (m.name.as_deref().unwrap(), m.offset as usize)).collect();
        assert_eq!(wgsl_fields, fields, "{name}: field offsets differ between Rust and WGSL");
        assert_eq!(*span as usize, size, "{name}: sizes differ");
        assert_eq!(layouter[handle].size as usize, size, "{name}: sizes differ");
        assert!(size <= wgtf::kernel::META_BYTES, "{name} exceeds META_BYTES");
        // Every meta struct serves a kernel.
        assert!(wgtf::shaders::ALL.iter().any(|s| s.source.contains(&format!("//#include {path}"))), "{path} is included by no shader");
    }
}
