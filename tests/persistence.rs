//! Checkpoints, meta graphs, SavedModels and freezing, on the fixtures of
//! tests/fixtures/gen_persist.py (TensorFlow's own files and outputs): through the library and
//! through the `wgtf` command line.
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use wgtf::import::{self, FreezeOptions, RestoreOptions, ValueSource};
use wgtf::{LoadOptions, Tensor};

fn persist_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/persist")
}

fn case(name: &str) -> common::Case {
    common::load_case(&persist_dir().join(name))
}

/// case.json as text, for the few extra fields the tests read.
fn case_json(name: &str) -> String {
    std::fs::read_to_string(persist_dir().join(name).join("case.json")).unwrap()
}

/// The strings of a JSON array field (flat, no escapes: node names).
fn json_strings(json: &str, field: &str) -> Vec<String> {
    let start = json.find(&format!("\"{field}\"")).unwrap_or_else(|| panic!("no field {field}"));
    let rest = &json[start..];
    let open = rest.find('[').unwrap();
    let close = rest.find(']').unwrap();
    rest[open + 1..close].split(',').map(|s| s.trim().trim_matches('"').to_string()).filter(|s| !s.is_empty()).collect()
}

fn npy(case: &str, file: &str) -> Tensor {
    Tensor::read_npy(persist_dir().join(case).join(file)).unwrap()
}

fn assert_close(got: &Tensor, want: &Tensor, tol: f64, what: &str) {
    if let Err(e) = common::compare(got, want, tol, tol) {
        panic!("{what}: {e}");
    }
}

fn wgtf_cmd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wgtf"))
}

/// Runs the CLI, returns stdout; panics with stderr on failure.
fn cli_ok(args: &[&str]) -> String {
    let out = wgtf_cmd().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "wgtf {}: {err}", args.join(" "));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs the CLI expecting failure, returns stderr.
fn cli_err(args: &[&str]) -> String {
    let out = wgtf_cmd().args(args).output().unwrap();
    assert!(!out.status.success(), "wgtf {} should fail", args.join(" "));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wgtf_persist_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn checkpoints_and_saved_models_match_tensorflow() {
    let ctx = common::context();
    for name in [
        "ckpt_tf1_mlp",
        "ckpt_tf1_two_graphs",
        "ckpt_tf1_rename",
        "ckpt_tf1_while_frames",
        "ckpt_tf1_while_v2",
        "saved_model_tf1_builder",
        "saved_model_keras",
        "saved_model_module",
    ] {
        let c = case(name);
        let errs = common::run_case(&ctx, &c).unwrap_or_else(|e| panic!("{name}: {e}"));
        println!("PASS {name} {errs:?}");
    }
    // The second graph of the folder, loaded next to the first in the same context.
    let a = ctx.load(persist_dir().join("ckpt_tf1_two_graphs/a.ckpt")).unwrap();
    let b = ctx.load(persist_dir().join("ckpt_tf1_two_graphs/b.ckpt")).unwrap();
    let xb = npy("ckpt_tf1_two_graphs", "in_b.npy");
    let yb = b.run(&[("x:0", &xb)], &["out:0"]).unwrap();
    assert_close(&yb[0], &npy("ckpt_tf1_two_graphs", "out_b.npy"), 1e-5, "graph b");
    let xa = npy("ckpt_tf1_two_graphs", "in0.npy");
    let ya = a.run(&[("x:0", &xa)], &["out:0"]).unwrap();
    assert_close(&ya[0], &npy("ckpt_tf1_two_graphs", "out0.npy"), 1e-5, "graph a");
}

#[test]
fn paths_a_checkpoint_can_be_given_as() {
    let d = persist_dir().join("ckpt_tf1_mlp");
    let want = import::load(&d.join("model.ckpt-5"), &LoadOptions::default()).unwrap();
    assert_eq!(want.checkpoint.as_deref(), Some(d.join("model.ckpt-5").as_path()));
    for p in [d.clone(), d.join("model.ckpt-5.index"), d.join("model.ckpt-5.meta"), d.join("model.ckpt-5.data-00000-of-00001")] {
        let l = import::load(&p, &LoadOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(l.checkpoint, want.checkpoint, "{}", p.display());
        assert_eq!(l.graph.nodes.len(), want.graph.nodes.len());
    }
    // Variables: restored from the checkpoint, or left out when only training uses them.
    let v: BTreeMap<&str, &import::VariableInfo> = want.variables.iter().map(|v| (v.name.as_str(), v)).collect();
    assert_eq!(v["dense/kernel"].source, ValueSource::Checkpoint);
    assert_eq!(v["out/kernel"].op, "VarHandleOp");
    assert_eq!(v["out/kernel"].source, ValueSource::Checkpoint);
    assert_eq!(v["global_step"].source, ValueSource::Unused);
    assert_eq!(want.graph.node("dense/kernel").unwrap().op, "Const");
    assert!(want.graph.node("global_step").is_none());
    let e = import::load(&d.join("nope.ckpt"), &LoadOptions::default()).unwrap_err().to_string();
    assert!(e.contains("nope.ckpt"), "{e}");
}

#[test]
fn import_scope_prefixes_every_name() {
    let ctx = common::context();
    let opts = LoadOptions { prefix: Some("m1".into()), ..Default::default() };
    let m = ctx.load_with(persist_dir().join("ckpt_tf1_two_graphs/a.ckpt"), &opts).unwrap();
    let x = npy("ckpt_tf1_two_graphs", "in0.npy");
    let y = m.run(&[("m1/x:0", &x)], &["m1/out:0"]).unwrap();
    assert_close(&y[0], &npy("ckpt_tf1_two_graphs", "out0.npy"), 1e-5, "scoped");
}

#[test]
fn saver_rename_maps_and_explicit_renames() {
    let ctx = common::context();
    let d = persist_dir().join("ckpt_tf1_rename");
    // The meta graph's saver maps keys v1/v2 to other_v1/other_v2.
    let l = import::load(&d.join("model.ckpt"), &LoadOptions::default()).unwrap();
    let keys: BTreeMap<&str, &str> = l.variables.iter().map(|v| (v.name.as_str(), v.key.as_str())).collect();
    assert_eq!(keys, BTreeMap::from([("other_v1", "v1"), ("other_v2", "v2")]));

    // Another checkpoint with other keys: a rename map says which is which.
    let x = npy("ckpt_tf1_rename", "in0.npy");
    let want = npy("ckpt_tf1_rename", "out0.npy");
    let mut restore = RestoreOptions { checkpoint: Some(d.join("plain.ckpt")), ..Default::default() };
    let e = ctx.load_with(d.join("model.ckpt"), &LoadOptions { restore: restore.clone(), ..Default::default() }).err().unwrap().to_string();
    assert!(e.contains("other_v1") && e.contains("'v1'") && e.contains("plain.ckpt"), "{e}");
    restore.rename = BTreeMap::from([("weights".into(), "other_v1".into()), ("bias".into(), "other_v2".into())]);
    let m = ctx.load_with(d.join("model.ckpt"), &LoadOptions { restore: restore.clone(), ..Default::default() }).unwrap();
    assert_close(&m.run(&[("x:0", &x)], &["out:0"]).unwrap()[0], &want, 1e-5, "renamed");

    // A rename to a variable of another shape is an error naming both.
    restore.rename = BTreeMap::from([("weights".into(), "other_v2".into()), ("bias".into(), "other_v1".into())]);
    let e = import::load(&d.join("model.ckpt"), &LoadOptions { restore, ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("other_v") && e.contains("'weights'") || e.contains("'bias'"), "{e}");
    assert!(e.contains("shape"), "{e}");

    // The same through the command line.
    let ckpt = d.join("plain.ckpt");
    let out = cli_ok(&[
        "run", d.join("model.ckpt").to_str().unwrap(), "--checkpoint", ckpt.to_str().unwrap(),
        "--rename", "weights=other_v1", "--rename", "bias=other_v2",
        "-i", &format!("x:0={}", d.join("in0.npy").display()), "-o", "out:0",
    ]);
    assert!(out.contains("out:0: float32 [4, 2]"), "{out}");

    // Unknown variables in the options are errors too.
    let restore = RestoreOptions { only: Some(vec!["no_such_var".into()]), ..Default::default() };
    let e = import::load(&d.join("model.ckpt"), &LoadOptions { restore, ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("no_such_var") && e.contains("other_v1"), "{e}");
}

#[test]
fn subsets_need_values_for_the_others() {
    let ctx = common::context();
    let d = persist_dir().join("ckpt_tf1_subset");
    // The checkpoint holds only `a`; `out` needs `b`.
    let e = ctx.load(d.join("model.ckpt")).err().unwrap().to_string();
    assert!(e.contains("'b'") && e.contains("model.ckpt"), "{e}");
    let b = npy("ckpt_tf1_subset", "b_value.npy");
    let restore = RestoreOptions { values: BTreeMap::from([("b".into(), b.clone())]), ..Default::default() };
    let m = ctx.load_with(d.join("model.ckpt"), &LoadOptions { restore, ..Default::default() }).unwrap();
    let x = npy("ckpt_tf1_subset", "in0.npy");
    let outs = m.run(&[("x:0", &x)], &["out:0", "only_a:0"]).unwrap();
    assert_close(&outs[0], &npy("ckpt_tf1_subset", "out0.npy"), 1e-5, "out");
    assert_close(&outs[1], &npy("ckpt_tf1_subset", "out_only_a.npy"), 1e-5, "only_a");
    // A value of the wrong shape names the variable and both shapes.
    let bad = Tensor::from_f32(vec![3], vec![1.0, 2.0, 3.0]).unwrap();
    let restore = RestoreOptions { values: BTreeMap::from([("b".into(), bad)]), ..Default::default() };
    let e = import::load(&d.join("model.ckpt"), &LoadOptions { restore, ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("'b'") && e.contains("[2]") && e.contains("[3]"), "{e}");

    // Restoring a listed subset of a full checkpoint: the others need values.
    let mlp = persist_dir().join("ckpt_tf1_mlp");
    let only = RestoreOptions { only: Some(vec!["dense/kernel".into(), "dense/bias".into()]), ..Default::default() };
    let e = import::load(&mlp, &LoadOptions { restore: only.clone(), ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("out/kernel") && e.contains("out/bias") && e.contains("restore list"), "{e}");
    let full = import::load(&mlp, &LoadOptions::default()).unwrap().graph;
    let value = |n: &str| full.node(n).unwrap().attr_tensor("value").unwrap().as_ref().clone();
    let mut given = only;
    given.values.insert("out/kernel".into(), value("out/kernel"));
    given.values.insert("out/bias".into(), value("out/bias"));
    let m = ctx.load_with(&mlp, &LoadOptions { restore: given, ..Default::default() }).unwrap();
    let x = npy("ckpt_tf1_mlp", "in0.npy");
    assert_close(&m.run(&[("x:0", &x)], &["probs:0"]).unwrap()[0], &npy("ckpt_tf1_mlp", "out0.npy"), 1e-5, "subset + values");

    // CLI: --restore and --var.
    let kernel = tmpdir("var").join("k.npy");
    value("out/kernel").write_npy(&kernel).unwrap();
    let e = cli_err(&["run", mlp.to_str().unwrap(), "--restore", "dense/kernel,dense/bias", "-o", "probs:0"]);
    assert!(e.contains("out/kernel"), "{e}");
    let bias = kernel.with_file_name("b.npy");
    value("out/bias").write_npy(&bias).unwrap();
    let out = cli_ok(&[
        "run", mlp.to_str().unwrap(), "--restore", "dense/kernel,dense/bias",
        "--var", &format!("out/kernel={}", kernel.display()), "--var", &format!("out/bias={}", bias.display()),
        "-i", &format!("x:0={}", mlp.join("in0.npy").display()), "-o", "probs:0",
    ]);
    assert!(out.contains("probs:0: float32 [4, 3] [0.1253"), "{out}");
}

#[test]
fn saved_model_signatures_and_tags() {
    let ctx = common::context();
    let d = persist_dir().join("saved_model_module/saved_model");
    // Feeds and fetches by signature key (serving_default), or by tensor name.
    let m = ctx.load(&d).unwrap();
    let x = npy("saved_model_module", "in0.npy");
    let y = m.run(&[("x", &x)], &["y"]).unwrap();
    assert_close(&y[0], &npy("saved_model_module", "out0.npy"), 1e-5, "by keys");
    let y = m.run(&[("serving_default_x:0", &x)], &["StatefulPartitionedCall_1:0"]).unwrap();
    assert_close(&y[0], &npy("saved_model_module", "out0.npy"), 1e-5, "by names");
    // Another signature: an embedding lookup (ResourceGather on a restored variable).
    let opts = LoadOptions { signature: Some("lookup".into()), ..Default::default() };
    let m = ctx.load_with(&d, &opts).unwrap();
    let ids = npy("saved_model_module", "ids.npy");
    let v = m.run(&[("ids", &ids)], &["vec"]).unwrap();
    assert_close(&v[0], &npy("saved_model_module", "out_vec.npy"), 1e-5, "lookup");
    let e = ctx.load_with(&d, &LoadOptions { signature: Some("nope".into()), ..Default::default() }).err().unwrap().to_string();
    assert!(e.contains("nope") && e.contains("lookup") && e.contains("serving_default"), "{e}");

    // TF1 Builder: tag sets and signatures.
    let tf1 = persist_dir().join("saved_model_tf1_builder/saved_model");
    let x = npy("saved_model_tf1_builder", "in0.npy");
    let m = ctx.load(&tf1).unwrap();
    let outs = m.run(&[("x", &x)], &["probs", "class"]).unwrap();
    assert_close(&outs[0], &npy("saved_model_tf1_builder", "out0.npy"), 1e-5, "probs");
    assert_eq!(outs[1].to_i64_vec().unwrap(), npy("saved_model_tf1_builder", "out1.npy").to_i64_vec().unwrap());
    let opts = LoadOptions { tags: vec!["serve".into(), "gpu".into()], ..Default::default() };
    let m = ctx.load_with(&tf1, &opts).unwrap();
    let lg = m.run(&[("x", &x)], &["logits"]).unwrap();
    assert_close(&lg[0], &npy("saved_model_tf1_builder", "out_logits.npy"), 1e-5, "logits");
    let e = ctx.load_with(&tf1, &LoadOptions { tags: vec!["train".into()], ..Default::default() }).err().unwrap().to_string();
    assert!(e.contains("train") && e.contains("[serve, gpu]"), "{e}");

    // CLI: --signature, --tag, signature keys.
    let out = cli_ok(&["run", d.to_str().unwrap(), "--signature", "lookup", "-i", &format!("ids={}", d.join("../ids.npy").display()), "-o", "vec"]);
    assert!(out.contains("vec: float32 [4, 3]"), "{out}");
    let out = cli_ok(&["run", tf1.to_str().unwrap(), "--tag", "serve,gpu", "-i", &format!("x={}", d.join("../../saved_model_tf1_builder/in0.npy").display()), "-o", "logits"]);
    assert!(out.contains("logits: float32 [3, 4]"), "{out}");
}

#[test]
fn info_shows_variables_and_signatures() {
    let d = persist_dir();
    let out = cli_ok(&["info", d.join("saved_model_module/saved_model").to_str().unwrap()]);
    for want in [
        "variables:",
        "w  float32 [3, 2]  VarHandleOp  (key w/.ATTRIBUTES/VARIABLE_VALUE)",
        "signatures:",
        "serving_default (used for names)",
        "in  ids -> lookup_ids:0  int32 [?]",
        "out y -> StatefulPartitionedCall_1:0  float32 [?, 2]",
    ] {
        assert!(out.contains(want), "missing '{want}' in:\n{out}");
    }
    let out = cli_ok(&["info", d.join("ckpt_tf1_rename").to_str().unwrap()]);
    assert!(out.contains("other_v1  float32 [3, 2]  VarHandleOp  (key v1)"), "{out}");
    let out = cli_ok(&["info", d.join("ckpt_tf1_mlp/model.ckpt-5").to_str().unwrap()]);
    assert!(out.contains("global_step  int64 []  VarHandleOp  (not needed: training only)"), "{out}");
}

fn frozen_names(gd: &wgtf::proto::GraphDef) -> BTreeSet<String> {
    gd.node.iter().map(|n| n.name.clone()).collect()
}

#[test]
fn freezing_matches_convert_variables_to_constants() {
    let ctx = common::context();
    let d = persist_dir().join("ckpt_tf1_mlp");
    let json = case_json("ckpt_tf1_mlp");
    let f = FreezeOptions { outputs: json_strings(&json, "freeze_outputs"), ..Default::default() };
    let gd = import::freeze(&d, &LoadOptions::default(), &f).unwrap();
    let want: BTreeSet<String> = json_strings(&json, "frozen_nodes").into_iter().collect();
    assert_eq!(frozen_names(&gd), want);
    assert!(gd.node.iter().all(|n| !matches!(n.op.as_str(), "VariableV2" | "VarHandleOp" | "ReadVariableOp")));
    // TensorFlow's own frozen graph has the same nodes, ops and inputs.
    use prost::Message;
    let tf = wgtf::proto::GraphDef::decode(std::fs::read(d.join("frozen_tf.pb")).unwrap().as_slice()).unwrap();
    let shape = |g: &wgtf::proto::GraphDef| -> BTreeMap<String, (String, Vec<String>)> {
        g.node.iter().map(|n| (n.name.clone(), (n.op.clone(), n.input.clone()))).collect()
    };
    assert_eq!(shape(&gd), shape(&tf));
    // Freezing again gives the same bytes; the frozen graph runs to TensorFlow's outputs.
    let again = import::freeze(&d, &LoadOptions::default(), &f).unwrap();
    assert_eq!(gd.encode_to_vec(), again.encode_to_vec());
    let m = ctx.load_graph_def(&gd.encode_to_vec(), &LoadOptions::default()).unwrap();
    let x = npy("ckpt_tf1_mlp", "in0.npy");
    let outs = m.run(&[("x:0", &x)], &["probs:0", "logits:0"]).unwrap();
    assert_close(&outs[0], &npy("ckpt_tf1_mlp", "out0.npy"), 1e-5, "frozen probs");
    assert_close(&outs[1], &npy("ckpt_tf1_mlp", "out1.npy"), 1e-5, "frozen logits");

    // An allow list leaves the other variables as they were.
    let allow = FreezeOptions { outputs: vec!["probs".into()], allow: Some(json_strings(&json, "freeze_allow")), ..Default::default() };
    let gd = import::freeze(&d, &LoadOptions::default(), &allow).unwrap();
    assert_eq!(frozen_names(&gd), json_strings(&json, "frozen_allow_nodes").into_iter().collect());
    let vars: BTreeSet<String> = gd.node.iter().filter(|n| matches!(n.op.as_str(), "VariableV2" | "VarHandleOp")).map(|n| n.name.clone()).collect();
    assert_eq!(vars, json_strings(&json, "frozen_allow_variables").into_iter().collect());
    // A deny list is the complement.
    let deny = FreezeOptions { outputs: vec!["probs".into()], deny: vec!["out/kernel".into(), "out/bias".into()], ..Default::default() };
    let gd2 = import::freeze(&d, &LoadOptions::default(), &deny).unwrap();
    assert_eq!(gd2.encode_to_vec(), gd.encode_to_vec());

    // CLI, and SavedModels (TF1 and TF2) freeze too.
    let dir = tmpdir("freeze");
    let out = dir.join("frozen.pb");
    cli_ok(&["freeze", d.to_str().unwrap(), "--outputs", "probs,logits", "-o", out.to_str().unwrap()]);
    let cli = wgtf::proto::GraphDef::decode(std::fs::read(&out).unwrap().as_slice()).unwrap();
    assert_eq!(cli.encode_to_vec(), import::freeze(&d, &LoadOptions::default(), &f).unwrap().encode_to_vec());
    let out = cli_ok(&["run", out.to_str().unwrap(), "-i", &format!("x:0={}", d.join("in0.npy").display()), "-o", "probs:0"]);
    assert!(out.contains("probs:0: float32 [4, 3] [0.1253"), "{out}");
    for (name, outputs) in [("saved_model_tf1_builder", "probs,cls"), ("saved_model_keras", "StatefulPartitionedCall"), ("saved_model_module", "y")] {
        let c = case(name);
        let gd = import::freeze(
            &c.model,
            &LoadOptions::default(),
            &FreezeOptions { outputs: outputs.split(',').map(String::from).collect(), ..Default::default() },
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(gd.node.iter().all(|n| !matches!(n.op.as_str(), "VariableV2" | "VarHandleOp" | "ReadVariableOp" | "StatefulPartitionedCall")), "{name}");
        let m = ctx.load_graph_def(&gd.encode_to_vec(), &LoadOptions::default()).unwrap();
        let feeds: Vec<(String, Tensor)> = c.feeds.iter().map(|(n, p)| (n.clone(), Tensor::read_npy(p).unwrap())).collect();
        // Signature keys are not tensor names in a frozen graph: use the names.
        let feeds: Vec<(&str, &Tensor)> = feeds.iter().map(|(n, t)| (if n == "x" { "serving_default_x:0" } else { n.as_str() }, t)).collect();
        let fetches: Vec<&str> = c.fetches.iter().map(|f| if f.0 == "y" { "StatefulPartitionedCall_1:0" } else { f.0.as_str() }).collect();
        let outs = m.run(&feeds, &fetches).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (o, f) in outs.iter().zip(&c.fetches) {
            assert_close(o, &Tensor::read_npy(&f.1).unwrap(), 1e-4, name);
        }
    }
}

/// Every restored variable's value, by name.
fn restored_values(prefix: &Path) -> wgtf::Result<BTreeMap<String, Tensor>> {
    let l = import::load(prefix, &LoadOptions::default())?;
    let mut out = BTreeMap::new();
    for v in l.variables.iter().filter(|v| v.source == ValueSource::Checkpoint) {
        out.insert(v.name.clone(), l.graph.node(&v.name).unwrap().attr_tensor("value")?.as_ref().clone());
    }
    Ok(out)
}

#[test]
fn damaged_checkpoints_are_errors_naming_the_file() {
    let src = persist_dir().join("ckpt_tf1_mlp");
    let dir = tmpdir("damaged");
    copy_dir(&src, &dir);
    let prefix = dir.join("model.ckpt-5");
    let good = restored_values(&prefix).unwrap();
    assert!(good.len() >= 4);
    for (file, step) in [("model.ckpt-5.index", 1), ("model.ckpt-5.data-00000-of-00001", 3)] {
        let path = dir.join(file);
        let orig = std::fs::read(&path).unwrap();
        let mut errors = 0;
        for i in (0..orig.len()).step_by(step) {
            let mut bytes = orig.clone();
            bytes[i] ^= 0x5a;
            std::fs::write(&path, &bytes).unwrap();
            match restored_values(&prefix) {
                // Bytes that nothing reads (footer padding, values of unused variables) may
                // change; what was read must never be wrong.
                Ok(v) => assert_eq!(v, good, "{file}: byte {i} flipped changed restored values"),
                Err(e) => {
                    let msg = e.to_string();
                    assert!(msg.contains(file), "{file} byte {i}: error does not name the file: {msg}");
                    errors += 1;
                }
            }
        }
        assert!(errors > orig.len() / step / 2, "{file}: only {errors} flips were noticed");
        std::fs::write(&path, &orig).unwrap();
    }
    // A truncated data file.
    let data = dir.join("model.ckpt-5.data-00000-of-00001");
    let orig = std::fs::read(&data).unwrap();
    std::fs::write(&data, &orig[..orig.len() / 2]).unwrap();
    let e = restored_values(&prefix).unwrap_err().to_string();
    assert!(e.contains("model.ckpt-5.data-00000-of-00001") && e.contains("truncated"), "{e}");
    std::fs::write(&data, &orig).unwrap();
    // A truncated index, a missing data file.
    let index = dir.join("model.ckpt-5.index");
    let orig = std::fs::read(&index).unwrap();
    std::fs::write(&index, &orig[..orig.len() - 10]).unwrap();
    let e = restored_values(&prefix).unwrap_err().to_string();
    assert!(e.contains("model.ckpt-5.index"), "{e}");
    std::fs::write(&index, &orig).unwrap();
    std::fs::remove_file(&data).unwrap();
    let e = cli_err(&["run", prefix.to_str().unwrap(), "-o", "probs:0"]);
    assert!(e.contains("model.ckpt-5.data-00000-of-00001"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_runs_checkpoints_and_saved_models() {
    let d = persist_dir();
    let tmp = tmpdir("cli");
    // A checkpoint directory (its `checkpoint` file names the prefix) and a SavedModel directory.
    for (name, model) in [("ckpt_tf1_mlp", "ckpt_tf1_mlp"), ("saved_model_keras", "saved_model_keras/saved_model")] {
        let c = case(name);
        let mut args: Vec<String> = vec!["run".into(), d.join(model).display().to_string()];
        for (n, p) in &c.feeds {
            args.push("-i".into());
            args.push(format!("{n}={}", p.display()));
        }
        for (i, (n, _, _, _)) in c.fetches.iter().enumerate() {
            args.push("-o".into());
            args.push(format!("{n}={}", tmp.join(format!("{name}_{i}.npy")).display()));
        }
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        cli_ok(&a);
        for (i, (_, want, rtol, atol)) in c.fetches.iter().enumerate() {
            let got = Tensor::read_npy(tmp.join(format!("{name}_{i}.npy"))).unwrap();
            common::compare(&got, &Tensor::read_npy(want).unwrap(), *rtol, *atol).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
    // Two checkpoints in one process.
    let g = d.join("ckpt_tf1_two_graphs");
    let out = cli_ok(&[
        "run", "-m", g.join("a.ckpt").to_str().unwrap(), "-i", &format!("x:0={}", g.join("in0.npy").display()), "-o", "out:0",
        "-m", g.join("b.ckpt").to_str().unwrap(), "-i", &format!("x:0={}", g.join("in_b.npy").display()), "-o", "out:0",
    ]);
    assert_eq!(out.matches("out:0: float32 [3, 5]").count(), 2, "{out}");
    let _ = std::fs::remove_dir_all(&tmp);
}
