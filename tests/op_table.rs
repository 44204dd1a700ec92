//! The README's table of supported ops is generated from the op registry: this test fails when
//! the two differ. `WGTF_BLESS=1 cargo test --release --test op_table` rewrites the table (the
//! text between `<!-- ops:begin -->` and `<!-- ops:end -->`).
use std::collections::BTreeMap;

const BEGIN: &str = "<!-- ops:begin -->";
const END: &str = "<!-- ops:end -->";

/// The table: one row per family (ops sorted by name), then the total.
fn table() -> String {
    let reg = wgtf::ops::registry();
    let mut by_family: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (op, family) in reg.names() {
        by_family.entry(family).or_default().push(op);
    }
    let mut s = String::from("| family | ops |\n|---|---|\n");
    for (family, mut ops) in by_family {
        ops.sort_unstable();
        let list: Vec<String> = ops.iter().map(|o| format!("`{o}`")).collect();
        s.push_str(&format!("| {family} ({}) | {} |\n", ops.len(), list.join(", ")));
    }
    s.push_str(&format!("\n{} ops in all.\n", reg.len()));
    s
}

#[test]
fn readme_lists_exactly_the_registered_ops() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
        panic!("README.md has no {BEGIN} … {END} markers");
    };
    assert!(b < e, "README.md: {END} comes before {BEGIN}");
    let current = text[b + BEGIN.len()..e].trim_matches('\n');
    let want = table();
    if current == want.trim_matches('\n') {
        return;
    }
    if std::env::var("WGTF_BLESS").is_ok_and(|v| v == "1") {
        let new = format!("{}{BEGIN}\n{want}{END}{}", &text[..b], &text[e + END.len()..]);
        std::fs::write(&path, new).unwrap();
        return;
    }
    panic!(
        "README.md's op table differs from the op registry; run \
         `WGTF_BLESS=1 cargo test --release --test op_table` to rewrite it.\nExpected:\n{want}"
    );
}
