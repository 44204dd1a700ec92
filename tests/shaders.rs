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
            // (group_subgroup.wgsl replaces group_tree.wgsl in variants: see below.)
            let swapped_in = rel == "common/group_subgroup.wgsl";
            assert!(swapped_in || wgtf::shaders::ALL.iter().any(|s| s.source.contains(&format!("//#include {rel}"))), "{rel} is included by no shader");
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
        ShaderVariant::new(&REDUCE).ty("T", "i64"),
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
fn subgroup_reduction_variants_validate() {
    // The forms chosen where the adapter has subgroups (Target::group_reduce).
    use wgtf::kernel::ShaderVariant;
    use wgtf::shaders::*;
    let swap = |v: ShaderVariant| v.swap("common/group_tree.wgsl", "common/group_subgroup.wgsl");
    for ty in ["f32", "i32"] {
        let v = swap(ShaderVariant::new(&REDUCE).ty("T", ty));
        validate(&v.label(), &v.source().unwrap());
    }
    let v = swap(ShaderVariant::new(&SOFTMAX));
    validate(&v.label(), &v.source().unwrap());
}
