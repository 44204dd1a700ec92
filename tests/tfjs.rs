//! TensorFlow.js graph models: `model.json` + weight shards load directly (the conformance
//! cases `tfjs_*` and `real_*` check their outputs against TensorFlow), signature keys name
//! tensors, `wgtf freeze` carries them back to plain TensorFlow ops, and damaged or hostile
//! files are typed errors naming the file, never a panic or numbers from a damaged file.
mod common;

use std::path::{Path, PathBuf};

use wgtf::{Error, LoadOptions, Tensor};

fn case(name: &str) -> PathBuf {
    common::fixtures_dir().join(name)
}

/// A scratch copy of a case directory, to damage.
fn scratch(name: &str, tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wgtf-tfjs-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    for e in std::fs::read_dir(case(name)).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, d.join(p.file_name().unwrap())).unwrap();
    }
    d
}

fn load_err(path: &Path) -> Error {
    wgtf::import::load(path, &LoadOptions::default()).err().unwrap_or_else(|| panic!("{} loaded", path.display()))
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("model.json")).unwrap()).unwrap()
}

fn shard_paths(dir: &Path) -> Vec<String> {
    manifest(dir)["weightsManifest"].as_array().unwrap().iter().flat_map(|g| g["paths"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string())).collect()
}

#[test]
fn signature_keys_and_tensor_names_name_the_same_tensors() {
    let ctx = common::context();
    let dir = case("tfjs_model_json");
    // A directory holding model.json loads it.
    let model = ctx.load(&dir).unwrap();
    let x = Tensor::read_npy(dir.join("in0.npy")).unwrap();
    let by_name = model.run(&[("image:0", &x)], &["probs:0", "masked:0"]).unwrap();
    let by_key = model.run(&[("image", &x)], &["probs", "masked"]).unwrap();
    for (a, b) in by_name.iter().zip(&by_key) {
        assert_eq!(a.to_f32_vec().unwrap(), b.to_f32_vec().unwrap());
    }
    let want = Tensor::read_npy(dir.join("out0.npy")).unwrap();
    let (ma, _) = common::compare(&by_key[0], &want, 1e-4, 1e-5).unwrap();
    assert!(ma < 1e-4);
    let loaded = wgtf::import::load(&dir.join("model.json"), &LoadOptions::default()).unwrap();
    assert!(matches!(loaded.kind, wgtf::import::ModelKind::TfjsGraph { .. }));
    assert_eq!(loaded.signature.as_deref(), Some("serving_default"));
}

#[test]
fn freeze_writes_plain_tensorflow_ops_with_the_same_outputs() {
    let ctx = common::context();
    let dir = case("tfjs_fused_ops_json");
    let c = common::load_case(&dir);
    let out = std::env::temp_dir().join(format!("wgtf-tfjs-frozen-{}.pb", std::process::id()));
    let names: Vec<String> = c.fetches.iter().map(|(n, ..)| n.trim_end_matches(":0").to_string()).collect();
    let f = wgtf::import::FreezeOptions { outputs: names, ..Default::default() };
    let gd = wgtf::import::freeze_to_file(&dir.join("model.json"), &LoadOptions::default(), &f, &out).unwrap();
    let tfjs_only = ["FusedDepthwiseConv2dNative", "_FusedDepthwiseConv2dNative", "_FusedConv2D", "_FusedMatMul", "Prelu"];
    let left: Vec<&str> = gd.node.iter().map(|n| n.op.as_str()).filter(|op| tfjs_only.contains(op)).collect();
    assert!(left.is_empty(), "TF.js-only ops left: {left:?}");
    // Every op TensorFlow needs its T attribute on is given one.
    for n in &gd.node {
        if matches!(n.op.as_str(), "Conv2D" | "DepthwiseConv2dNative" | "MatMul" | "BiasAdd" | "Relu" | "Sub" | "Mul" | "Neg") {
            assert!(n.attr.contains_key("T"), "{} ({}) has no T", n.name, n.op);
        }
    }
    // The frozen graph computes what TensorFlow computed for the TF.js graph.
    let model = ctx.load(&out).unwrap();
    let feeds: Vec<(String, Tensor)> = c.feeds.iter().map(|(n, p)| (n.clone(), Tensor::read_npy(p).unwrap())).collect();
    let f: Vec<(&str, &Tensor)> = feeds.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let fetches: Vec<&str> = c.fetches.iter().map(|(n, ..)| n.as_str()).collect();
    let got = model.run(&f, &fetches).unwrap();
    for ((name, want, rtol, atol), g) in c.fetches.iter().zip(&got) {
        common::compare(g, &Tensor::read_npy(want).unwrap(), *rtol, *atol).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let _ = std::fs::remove_file(&out);
}

#[test]
fn missing_truncated_or_padded_shards_are_errors_naming_the_file() {
    let dir = scratch("tfjs_model_json", "shards");
    let shards = shard_paths(&dir);
    assert!(shards.len() >= 2, "{shards:?}");
    // Missing.
    let s0 = dir.join(&shards[0]);
    let bytes = std::fs::read(&s0).unwrap();
    std::fs::remove_file(&s0).unwrap();
    let e = load_err(&dir.join("model.json"));
    assert!(matches!(&e, Error::Tfjs { path, .. } if path.ends_with(&shards[0])), "{e}");
    // Truncated: every cut of the last shard is refused.
    std::fs::write(&s0, &bytes).unwrap();
    let last = dir.join(shards.last().unwrap());
    let full = std::fs::read(&last).unwrap();
    for cut in [0, 1, full.len() / 2, full.len() - 1] {
        std::fs::write(&last, &full[..cut]).unwrap();
        let e = load_err(&dir.join("model.json"));
        assert!(matches!(e, Error::Tfjs { .. }) && e.to_string().contains("bytes"), "cut {cut}: {e}");
    }
    // Bytes left over.
    let mut more = full.clone();
    more.extend_from_slice(&[0; 8]);
    std::fs::write(&last, &more).unwrap();
    let e = load_err(&dir.join("model.json"));
    assert!(e.to_string().contains("left over"), "{e}");
    std::fs::write(&last, &full).unwrap();
    wgtf::import::load(&dir.join("model.json"), &LoadOptions::default()).expect("the repaired model loads");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Edits model.json, loads it, returns the error.
fn edited(tag: &str, edit: impl FnOnce(&mut serde_json::Value)) -> Error {
    let dir = scratch("tfjs_model_json", tag);
    let mut m = manifest(&dir);
    edit(&mut m);
    std::fs::write(dir.join("model.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    let e = load_err(&dir.join("model.json"));
    let _ = std::fs::remove_dir_all(&dir);
    e
}

#[test]
fn hostile_manifests_are_typed_errors() {
    let weight = |m: &mut serde_json::Value| -> serde_json::Value { m["weightsManifest"][0]["weights"][0].clone() };
    let cases: Vec<(&str, Box<dyn FnOnce(&mut serde_json::Value)>, &str)> = vec![
        ("neg", Box::new(|m| m["weightsManifest"][0]["weights"][0]["shape"] = serde_json::json!([-3, 2])), "negative"),
        ("huge", Box::new(|m| m["weightsManifest"][0]["weights"][0]["shape"] = serde_json::json!([1u64 << 40, 1u64 << 40, 1 << 20])), "too large"),
        ("shape", Box::new(|m| m["weightsManifest"][0]["weights"][0]["shape"] = serde_json::json!([1])), "bytes"),
        ("dtype", Box::new(|m| m["weightsManifest"][0]["weights"][0]["dtype"] = serde_json::json!("complex128")), "complex128"),
        ("quant", Box::new(|m| m["weightsManifest"][0]["weights"][0]["quantization"] = serde_json::json!({"dtype": "int4", "min": 0, "scale": 1})), "int4"),
        ("traversal", Box::new(|m| m["weightsManifest"][0]["paths"][0] = serde_json::json!("../../etc/passwd")), "leaves"),
        ("absolute", Box::new(|m| m["weightsManifest"][0]["paths"][0] = serde_json::json!("/etc/passwd")), "leaves"),
        ("layers", Box::new(|m| m["format"] = serde_json::json!("layers-model")), "layers model"),
        ("topology", Box::new(|m| m.as_object_mut().unwrap().remove("modelTopology").map(|_| ()).unwrap_or(())), "modelTopology"),
        ("node", Box::new(move |m| {
            let mut w = weight(m);
            w["name"] = serde_json::json!("no_such_node");
            m["weightsManifest"][0]["weights"][0] = w;
        }), "no_such_node"),
        ("graph", Box::new(|m| m["modelTopology"]["node"][0]["attr"] = serde_json::json!({"dtype": {"type": 12345678901u64}})), "GraphDef"),
        ("dupe", Box::new(|m| {
            let n = m["modelTopology"]["node"][1].clone();
            m["modelTopology"]["node"].as_array_mut().unwrap().push(n);
        }), "two nodes"),
    ];
    for (tag, edit, want) in cases {
        let e = edited(tag, edit);
        assert!(matches!(e, Error::Tfjs { .. }), "{tag}: {e:?}");
        assert!(e.to_string().contains(want), "{tag}: {e}");
        assert!(e.to_string().contains("model.json") || e.to_string().contains(".bin"), "{tag} names no file: {e}");
    }
    // A Const whose weight is gone would read as zeros: refused.
    let e = edited("unfilled", |m| {
        m["weightsManifest"][0]["weights"].as_array_mut().unwrap().remove(0);
    });
    assert!(e.to_string().contains("no value") || e.to_string().contains("bytes"), "{e}");
    // Not JSON, or not an object.
    let dir = scratch("tfjs_model_json", "garbage");
    for bad in [&b"\x00\x01\x02"[..], b"[1, 2, 3]", b"{\"modelTopology\": ", b"{\"modelTopology\": {\"node\": 7}}"] {
        std::fs::write(dir.join("model.json"), bad).unwrap();
        let e = load_err(&dir.join("model.json"));
        assert!(matches!(e, Error::Tfjs { .. }), "{e:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn truncated_model_json_is_never_a_panic() {
    let dir = case("tfjs_model_json");
    let json = std::fs::read(dir.join("model.json")).unwrap();
    let shards: Vec<u8> = shard_paths(&dir).iter().flat_map(|p| std::fs::read(dir.join(p)).unwrap()).collect();
    let mut data = (json.len() as u32).to_le_bytes().to_vec();
    data.extend_from_slice(&json);
    data.extend_from_slice(&shards);
    // The whole model plans (the harness the fuzz target runs).
    #[path = "../fuzz/common.rs"]
    #[allow(dead_code, unused_imports)]
    mod harness;
    harness::tfjs(&data).expect("the whole model plans");
    let step = (json.len() / 97).max(1);
    for n in (0..json.len()).step_by(step) {
        let mut d = (n as u32).to_le_bytes().to_vec();
        d.extend_from_slice(&json[..n]);
        d.extend_from_slice(&shards);
        assert!(harness::tfjs(&d).is_err(), "model.json cut to {n} planned");
    }
    for n in [0, 1, shards.len() / 3, shards.len() - 1] {
        let mut d = (json.len() as u32).to_le_bytes().to_vec();
        d.extend_from_slice(&json);
        d.extend_from_slice(&shards[..n]);
        assert!(harness::tfjs(&d).is_err(), "shards cut to {n} planned");
    }
}

#[test]
fn model_initializer_graphs_are_merged_and_fold_at_load() {
    // The nodes of a `modelInitializer` graph are what the main graph reads by name: move a
    // weight's Const there, and the model runs as before.
    let ctx = common::context();
    let dir = scratch("tfjs_model_json", "initializer");
    let mut m = manifest(&dir);
    let first_weight = m["weightsManifest"][0]["weights"][0]["name"].as_str().unwrap().to_string();
    let nodes = m["modelTopology"]["node"].as_array_mut().unwrap();
    let i = nodes.iter().position(|n| n["name"] == first_weight.as_str()).unwrap();
    let n = nodes.remove(i);
    m["modelInitializer"] = serde_json::json!({ "node": [n] });
    std::fs::write(dir.join("model.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    let model = ctx.load(dir.join("model.json")).unwrap();
    let x = Tensor::read_npy(dir.join("in0.npy")).unwrap();
    let got = model.run(&[("image", &x)], &["probs"]).unwrap();
    let want = Tensor::read_npy(dir.join("out0.npy")).unwrap();
    common::compare(&got[0], &want, 1e-4, 1e-5).unwrap();
    // A node both graphs hold with different ops is an error naming it.
    let mut m2 = m.clone();
    m2["modelInitializer"]["node"][0]["name"] = m2["modelTopology"]["node"][0]["name"].clone();
    std::fs::write(dir.join("model.json"), serde_json::to_vec(&m2).unwrap()).unwrap();
    let e = load_err(&dir.join("model.json"));
    assert!(e.to_string().contains("modelInitializer"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
