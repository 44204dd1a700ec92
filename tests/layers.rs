//! The layers of `src/` run one way: a module may use the layers below it, never those above,
//! and top-level modules form no cycle. Reads every `src/**/*.rs`, finds its crate-internal
//! paths (`use crate::x…`, `use crate::{x::…}`, inline `crate::x::…`, `super::` chains that
//! leave the top-level module), and maps each file to its layer by its top-level module.
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Layers from the bottom up. Leaf utilities (rank 0) may be used by any layer and use only
/// each other; `bin/` uses the library as `wgtf::`, like any other user.
const LAYERS: &[(&str, u32)] = &[
    ("error", 0),
    ("tensor", 0),
    ("proto", 0),
    ("shaders", 0),
    ("graph", 1),
    ("import", 2),
    ("kernel", 3),
    ("ops", 4),
    ("lower", 5),
    ("runtime", 6),
    ("bench", 7),
    ("image", 7),
    ("serve", 7),
    ("bin", 8),
];

/// Imports against the layer order that are allowed (at most three): (file, the module it
/// uses, why). Each site carries a comment with "Layer exception" just above it.
const EXCEPTIONS: &[(&str, &str, &str)] = &[(
    "import/mod.rs",
    "ops",
    "which training outputs are parked depends on which ops wgtf can run; `import::load` is public and runs before any model or registry is given",
)];

/// One crate-internal dependency: file (relative to `src/`), line, top-level module used.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Dep {
    file: String,
    line: usize,
    module: String,
}

fn rank(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

/// The module path of a file: `lower/control/mod.rs` → [lower, control]; `lib.rs` → [].
fn module_path(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file.trim_end_matches(".rs").split('/').map(String::from).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

fn top(file: &str) -> String {
    file.split('/').next().unwrap_or("").trim_end_matches(".rs").to_string()
}

fn ident(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The crate-internal dependencies of one file's text.
fn deps_of(file: &str, text: &str) -> Vec<Dep> {
    let here = module_path(file);
    let mut out = Vec::new();
    let mut group: Option<usize> = None; // inside `use crate::{ … }` since this line
    let push = |line: usize, m: &str, out: &mut Vec<Dep>| {
        if !m.is_empty() {
            out.push(Dep { file: file.to_string(), line, module: m.to_string() });
        }
    };
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let code = raw.trim_start();
        if code.starts_with("//") {
            continue;
        }
        // A grouped `use crate::{a::x, b::{y, z}}`: every top-level name inside, until `;`.
        if let Some(at) = code.find("use crate::{") {
            group = Some(line);
            scan_group(&code[at + "use crate::{".len()..], line, &mut out, file);
            if code.contains(';') {
                group = None;
            }
            continue;
        }
        if group.is_some() {
            scan_group(code, line, &mut out, file);
            if code.contains(';') {
                group = None;
            }
            continue;
        }
        for (at, _) in code.match_indices("crate::") {
            // `$crate::` and `crate::` alike; not `wgtf_crate::` or a string's `mycrate::`.
            let before = code[..at].chars().last();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            push(line, ident(&code[at + "crate::".len()..]), &mut out);
        }
        for (at, _) in code.match_indices("super::") {
            if code[..at].ends_with("super::") || code[..at].chars().last().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue; // counted from the first `super::` of a chain
            }
            let mut rest = &code[at..];
            let mut path = here.clone();
            while let Some(r) = rest.strip_prefix("super::") {
                path.pop();
                rest = r;
            }
            if path.is_empty() {
                push(line, ident(rest), &mut out);
            }
        }
    }
    out
}

/// Top-level names in the body of a grouped `use crate::{…}` (one line of it).
fn scan_group(body: &str, line: usize, out: &mut Vec<Dep>, file: &str) {
    // Names at brace depth 0 of the group that are followed by `::` or stand alone.
    let mut depth = 0i32;
    let mut start = true;
    let mut i = 0;
    let b = body.as_bytes();
    while i < b.len() {
        match b[i] {
            b'{' => depth += 1,
            b'}' => depth -= 1,
            b',' if depth == 0 => start = true,
            c if start && depth == 0 && (c.is_ascii_alphabetic() || c == b'_') => {
                let name = ident(&body[i..]);
                if name != "self" {
                    out.push(Dep { file: file.to_string(), line, module: name.to_string() });
                }
                i += name.len();
                start = false;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
}

/// Every file of `src/` with its text, paths relative to `src/`.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).expect("src/ is readable").map(|e| e.expect("dir entry").path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                let rel = p.strip_prefix(root).expect("under src/").to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p).expect("source is UTF-8")));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out
}

/// What is wrong with these files' dependencies: imports against the layer order (not allowed
/// by `exceptions`), modules not in [`LAYERS`], cycles between top-level modules, and
/// exceptions without their comment.
fn check(files: &[(String, String)], exceptions: &[(&str, &str, &str)]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in files {
        let from = top(file);
        if from == "lib" {
            continue; // the crate root declares and re-exports every layer
        }
        let Some(r_from) = rank(&from) else {
            problems.push(format!("{file}: top-level module '{from}' has no layer in tests/layers.rs"));
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        for d in deps_of(file, text) {
            if d.module == from || d.module == "self" {
                continue;
            }
            let Some(r_to) = rank(&d.module) else {
                continue; // a crate-root item (a macro, a re-export) rather than a module
            };
            edges.entry(from.clone()).or_default().insert(d.module.clone());
            let upward = if r_from == 0 { r_to > 0 } else { r_to > r_from };
            if !upward {
                continue;
            }
            if exceptions.iter().any(|(f, m, _)| *f == d.file && *m == d.module) {
                let above = &lines[d.line.saturating_sub(6)..d.line - 1];
                if !above.iter().any(|l| l.contains("Layer exception")) {
                    problems.push(format!("{}:{}: allowed exception to '{}' lacks its \"Layer exception\" comment above", d.file, d.line, d.module));
                }
                continue;
            }
            problems.push(format!("{}:{}: '{from}' (layer {r_from}) uses '{}' (layer {r_to}), a layer above it", d.file, d.line, d.module));
        }
    }
    // Cycles between top-level modules (exceptions included).
    for start in edges.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((m, path)) = stack.pop() {
            for next in edges.get(&m).into_iter().flatten() {
                if next == start {
                    let mut cycle = path.clone();
                    cycle.push(start.clone());
                    let msg = format!("cycle between top-level modules: {}", cycle.join(" -> "));
                    if start == cycle.iter().min().expect("non-empty") {
                        problems.push(msg);
                    }
                } else if seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    problems
}

#[test]
fn layers_run_one_way() {
    assert!(EXCEPTIONS.len() <= 3, "at most three exceptions to the layer order");
    let files = sources();
    assert!(files.len() > 50, "found the sources ({} files)", files.len());
    let problems = check(&files, EXCEPTIONS);
    assert!(problems.is_empty(), "the layers of src/ must run one way (see docs/CONTRIBUTING.md):\n  {}", problems.join("\n  "));
    // Every exception is still used (a stale one would hide the next upward import).
    for (f, m, why) in EXCEPTIONS {
        let used = files.iter().filter(|(file, _)| file == f).any(|(file, text)| deps_of(file, text).iter().any(|d| d.module == *m));
        assert!(used, "exception {f} -> {m} ({why}) is no longer needed: remove it");
    }
}

#[test]
fn an_upward_import_is_reported() {
    let files = vec![
        ("graph/x.rs".to_string(), "use crate::error::Result;\nuse crate::runtime::model::Model;\n".to_string()),
        ("ops/y.rs".to_string(), "fn f() { let _ = crate::lower::compile; }\n".to_string()),
        ("kernel/z.rs".to_string(), "use crate::{graph::Node, ops::{Op, Registry}};\n".to_string()),
        ("lower/control/w.rs".to_string(), "use super::super::super::runtime::Thing;\n".to_string()),
        ("shaders.rs".to_string(), "use crate::kernel::Shader;\n".to_string()),
    ];
    let problems = check(&files, &[]);
    for want in ["graph/x.rs:2", "ops/y.rs:1", "kernel/z.rs:1", "lower/control/w.rs:1", "shaders.rs:1"] {
        assert!(problems.iter().any(|p| p.starts_with(want)), "{want} not reported: {problems:#?}");
    }
    assert!(!problems.iter().any(|p| p.starts_with("graph/x.rs:1")), "a leaf utility is not upward: {problems:#?}");
    // An allowed exception passes only with its comment.
    let files = vec![("import/a.rs".to_string(), "// Layer exception: because.\nuse crate::ops::registry;\n".to_string())];
    assert!(check(&files, &[("import/a.rs", "ops", "test")]).is_empty());
    let files = vec![("import/a.rs".to_string(), "use crate::ops::registry;\n".to_string())];
    assert_eq!(check(&files, &[("import/a.rs", "ops", "test")]).len(), 1);
}

#[test]
fn a_cycle_is_reported() {
    let files = vec![
        ("ops/a.rs".to_string(), "use crate::kernel::Lower;\n".to_string()),
        ("kernel/b.rs".to_string(), "// Layer exception: test.\nuse crate::ops::Op;\n".to_string()),
    ];
    let problems = check(&files, &[("kernel/b.rs", "ops", "test")]);
    assert!(problems.iter().any(|p| p.contains("cycle") && p.contains("kernel") && p.contains("ops")), "{problems:#?}");
}
