//! `wgtf serve` in process, on 127.0.0.1: both protocols, row and columnar formats, SavedModel
//! signatures, frozen graphs, a TF.js model, `output_filter`, b64 images, metadata and status,
//! every error class with its status, and many clients at once with bad requests among good
//! ones. Answers are compared bit for bit with `Model::run` in a context of the test's own.
mod serve_util;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serve_util::*;
use wgtf::image::{read_image, ImageOptions};
use wgtf::serve::Server;
use wgtf::{Context, LoadOptions, Model, Tensor};

const DIGITS: &str = "models/digits/model.pb";
const TF1: &str = "tests/fixtures/persist/saved_model_tf1_builder/saved_model";
const MODULE: &str = "tests/fixtures/persist/saved_model_module/saved_model";
const KERAS: &str = "tests/fixtures/persist/saved_model_keras/saved_model";
const SELFIE: &str = "models/selfie/model.json";

/// One server with every kind of model, shared by the tests of this file.
fn shared() -> &'static (Server, Http) {
    static S: OnceLock<(Server, Http)> = OnceLock::new();
    S.get_or_init(|| {
        let s = start(vec![model("digits", DIGITS), model("tf1", TF1), model("module", MODULE), model("keras", KERAS), model("selfie", SELFIE)], |_| {});
        let h = Http::new(s.addr());
        (s, h)
    })
}

/// Reference runs.
fn reference() -> &'static Context {
    static C: OnceLock<Context> = OnceLock::new();
    C.get_or_init(|| context(false))
}

fn load(path: &str) -> Model {
    reference().load_with(root().join(path), &LoadOptions::default()).unwrap()
}

fn run(m: &Model, feeds: &[(&str, &Tensor)], fetch: &str) -> Vec<f32> {
    m.run(feeds, &[fetch]).unwrap()[0].to_f32_vec().unwrap()
}

#[test]
fn tfserving_rows_and_columns_and_kserve_give_model_run_bits() {
    let (_, http) = shared();
    let x = digits(0, 3);
    let want = bits(&run(&load(DIGITS), &[("x:0", &x)], "probs:0"));
    let rows = json_list(&x);
    let rows_as_objects = {
        let r: serde_json::Value = serde_json::from_str(&rows).unwrap();
        serde_json::Value::Array(r.as_array().unwrap().iter().map(|row| serde_json::json!({ "x": row })).collect()).to_string()
    };
    let cases = [
        ("/v1/models/digits:predict", format!("{{\"instances\": {rows}}}"), "predictions"),
        ("/v1/models/digits:predict", format!("{{\"instances\": {rows_as_objects}}}"), "predictions"),
        ("/v1/models/digits/versions/1:predict", format!("{{\"signature_name\": \"serving_default\", \"inputs\": {rows}}}"), "outputs"),
        ("/v1/models/digits:predict", format!("{{\"inputs\": {{\"x:0\": {rows}}}}}"), "outputs"),
        ("/v1/models/digits:predict", format!("{{\"inputs\": {{\"x\": {rows}}}, \"output_filter\": [\"probs:0\"]}}"), "outputs"),
    ];
    for (path, body, key) in &cases {
        let a = http.post(path, body);
        assert_eq!(a.status, 200, "{path} {}", a.body);
        assert_eq!(bits(&floats(raw(&a.body, key))), want, "{path} {body:.80}");
    }
    // KServe: flat data, nested data, the tensor name, a version in the path, an id echoed.
    let flat = json_list(&Tensor::from_f32(vec![3 * 64], x.to_f32_vec().unwrap()).unwrap());
    for (path, name, data) in [("/v2/models/digits/infer", "x", flat.as_str()), ("/v2/models/digits/versions/1/infer", "x:0", rows.as_str())] {
        let body = format!("{{\"id\": \"r1\", \"inputs\": [{{\"name\": \"{name}\", \"shape\": [3, 8, 8, 1], \"datatype\": \"FP32\", \"data\": {data}}}], \"outputs\": [{{\"name\": \"probs\"}}]}}");
        let a = http.post(path, &body);
        assert_eq!(a.status, 200, "{}", a.body);
        let v = a.json();
        assert_eq!((v["model_name"].as_str(), v["model_version"].as_str(), v["id"].as_str()), (Some("digits"), Some("1"), Some("r1")));
        let o = &v["outputs"][0];
        assert_eq!((o["name"].as_str(), o["datatype"].as_str(), o["shape"].to_string().as_str()), (Some("probs"), Some("FP32"), "[3,10]"));
        assert_eq!(bits(&floats(&o["data"].to_string())), want);
    }
}

#[test]
fn saved_model_signatures_output_filters_and_frozen_graph_tensors() {
    let (_, http) = shared();
    let tf1 = load(TF1);
    let x = Tensor::from_f32(vec![2, 5], vec![1.0, 2.0, 3.0, 4.0, 5.0, -1.0, 0.5, 0.0, 2.0, -3.0]).unwrap();
    let probs = run(&tf1, &[("input:0", &x)], "probs:0");
    let class = tf1.run(&[("input:0", &x)], &["cls:0"]).unwrap()[0].to_i64_vec().unwrap();
    let logits = run(&tf1, &[("input:0", &x)], "logits:0");
    let xs = json_list(&x);
    // Default signature, two outputs, row format: one object per instance.
    let a = http.post("/v1/models/tf1:predict", &format!("{{\"instances\": {xs}}}"));
    assert_eq!(a.status, 200, "{}", a.body);
    let p = a.json()["predictions"].clone();
    for r in 0..2 {
        assert_eq!(p[r]["class"].as_i64(), Some(class[r]));
        assert_eq!(bits(&floats(&p[r]["probs"].to_string())), bits(&probs[r * 4..r * 4 + 4]));
    }
    // Columnar, two outputs: an object of outputs.
    let a = http.post("/v1/models/tf1:predict", &format!("{{\"inputs\": {{\"x\": {xs}}}}}"));
    assert_eq!(a.json()["outputs"]["class"].as_array().unwrap().len(), 2, "{}", a.body);
    // Another signature; an output filter.
    let a = http.post("/v1/models/tf1:predict", &format!("{{\"signature_name\": \"raw\", \"instances\": {xs}}}"));
    assert_eq!(bits(&floats(raw(&a.body, "predictions"))), bits(&logits), "{}", a.body);
    let a = http.post("/v1/models/tf1:predict", &format!("{{\"inputs\": {xs}, \"output_filter\": [\"probs\"]}}"));
    assert_eq!(bits(&floats(raw(&a.body, "outputs"))), bits(&probs), "{}", a.body);
    // KServe picks a signature with a parameter; int32 inputs.
    let module = load(MODULE);
    let ids = Tensor::from_i32(vec![3], vec![1, 2, 9]).unwrap();
    let vec = run(&module, &[("lookup_ids:0", &ids)], "StatefulPartitionedCall:0");
    let body = r#"{"parameters": {"signature_name": "lookup"}, "inputs": [{"name": "ids", "shape": [3], "datatype": "INT32", "data": [1, 2, 9]}]}"#;
    let a = http.post("/v2/models/module/infer", body);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["outputs"][0]["name"].as_str(), Some("vec"));
    assert_eq!(bits(&floats(&a.json()["outputs"][0]["data"].to_string())), bits(&vec));
    // A TF2 Keras SavedModel, against the TensorFlow reference of the fixture.
    let kin = Tensor::read_npy(root().join("tests/fixtures/persist/saved_model_keras/in0.npy")).unwrap();
    let kout = Tensor::read_npy(root().join("tests/fixtures/persist/saved_model_keras/out0.npy")).unwrap().to_f32_vec().unwrap();
    let a = http.post("/v1/models/keras:predict", &format!("{{\"instances\": {}}}", json_list(&kin)));
    let got = floats(raw(&a.body, "predictions"));
    assert_eq!(got.len(), kout.len(), "{}", a.body);
    assert!(got.iter().zip(&kout).all(|(g, w)| (g - w).abs() <= 1e-5 + 1e-4 * w.abs()), "{got:?} vs {kout:?}");
    // A frozen graph's output filter may name any tensor: an intermediate one.
    let digits_model = load(DIGITS);
    let inner = digits_model.graph().nodes.iter().find(|n| n.op == "Relu").map(|n| format!("{}:0", n.name)).expect("digits has a Relu");
    let x = digits(5, 6);
    let want = run(&digits_model, &[("x:0", &x)], &inner);
    let a = http.post("/v1/models/digits:predict", &format!("{{\"inputs\": {}, \"output_filter\": [\"{inner}\", \"probs\"]}}", json_list(&x)));
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(bits(&floats(&a.json()["outputs"][inner.as_str()].to_string())), bits(&want));
}

#[test]
fn b64_png_and_jpeg_images_are_decoded_and_resized_like_wgtf_run() {
    let (_, http) = shared();
    // Digits: 32x32 PNGs resized to the model's 8x8, ten instances, every class right.
    let digits_model = load(DIGITS);
    let info = digits_model.inputs().into_iter().next().unwrap();
    let opts = ImageOptions { resize: Some((8, 8)), ..Default::default() };
    let insts: Vec<String> = (0..10).map(|d| format!("{{\"b64\": \"{}\"}}", b64_file(format!("models/digits/samples/{d}_32x32.png")))).collect();
    let a = http.post("/v1/models/digits:predict", &format!("{{\"instances\": [{}]}}", insts.join(",")));
    assert_eq!(a.status, 200, "{}", a.body);
    let p = a.json()["predictions"].clone();
    // The reference: the ten images as one batch, as the server runs them.
    let mut batch = Vec::new();
    for d in 0..10 {
        batch.extend(read_image(root().join(format!("models/digits/samples/{d}_32x32.png")), &opts, Some(&info)).unwrap().to_f32_vec().unwrap());
    }
    let x = Tensor::from_f32(vec![10, 8, 8, 1], batch).unwrap();
    let want = run(&digits_model, &[("x:0", &x)], "probs:0");
    for d in 0..10 {
        assert_eq!(bits(&floats(&p[d].to_string())), bits(&want[d * 10..d * 10 + 10]), "digit {d}");
    }
    // The 8x8 samples (no resizing), through KServe's BYTES: every class right.
    let imgs: Vec<String> = (0..10).map(|d| format!("\"{}\"", b64_file(format!("models/digits/samples/{d}.png")))).collect();
    let a = http.post("/v2/models/digits/infer", &format!("{{\"inputs\": [{{\"name\": \"x\", \"shape\": [10], \"datatype\": \"BYTES\", \"data\": [{}]}}]}}", imgs.join(",")));
    assert_eq!(a.status, 200, "{}", a.body);
    let probs = floats(&a.json()["outputs"][0]["data"].to_string());
    for d in 0..10 {
        let best = wgtf::image::top_k(&probs[d * 10..d * 10 + 10], 1)[0].0;
        assert_eq!(best, d, "digit {d} read as {best}");
    }
    // The TF.js selfie model: a PNG (TF Serving, columnar) and a JPEG (KServe BYTES).
    let selfie = load(SELFIE);
    let info = selfie.inputs().into_iter().next().unwrap();
    let opts = ImageOptions { resize: Some((256, 256)), ..Default::default() };
    for (file, kserve) in [("models/samples/astronaut.png", false), ("models/samples/flower.jpg", true)] {
        let x = read_image(root().join(file), &opts, Some(&info)).unwrap();
        let want = run(&selfie, &[("input_1:0", &x)], "activation_10:0");
        let got = if kserve {
            let body = format!("{{\"inputs\": [{{\"name\": \"input_1:0\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"{}\"]}}]}}", b64_file(file));
            let a = http.post("/v2/models/selfie/infer", &body);
            assert_eq!(a.status, 200, "{}", a.body);
            assert_eq!(a.json()["outputs"][0]["shape"].to_string(), "[1,256,256,1]");
            floats(&a.json()["outputs"][0]["data"].to_string())
        } else {
            let a = http.post("/v1/models/selfie:predict", &format!("{{\"inputs\": {{\"b64\": \"{}\"}}}}", b64_file(file)));
            assert_eq!(a.status, 200, "{}", a.body);
            floats(raw(&a.body, "outputs"))
        };
        assert_eq!(bits(&got), bits(&want), "{file}");
    }
}

#[test]
fn non_finite_values_in_and_out() {
    let (_, http) = shared();
    let tf1 = load(TF1);
    let x = Tensor::from_f32(vec![2, 5], vec![f32::NAN, 1.0, 2.0, 3.0, 4.0, f32::INFINITY, f32::NEG_INFINITY, 0.0, 1.0, 2.0]).unwrap();
    let want = run(&tf1, &[("input:0", &x)], "logits:0");
    let body = r#"{"signature_name": "raw", "inputs": [[NaN, 1, 2, 3, 4], [Infinity, -Infinity, 0, 1, 2]]}"#;
    let a = http.post("/v1/models/tf1:predict", body);
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("NaN"), "{}", a.body);
    assert_eq!(bits(&floats(&a.body["{\"outputs\": ".len()..a.body.len() - 1])), bits(&want));
}

#[test]
fn metadata_status_health_and_metrics() {
    let (_, http) = shared();
    let s = http.get("/v1/models/tf1").json();
    assert_eq!(s["model_version_status"][0], serde_json::json!({"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}));
    assert_eq!(http.get("/v1/models/tf1/versions/1").status, 200);
    let m = http.get("/v1/models/tf1/metadata").json();
    assert_eq!(m["model_spec"]["version"], "1");
    let sd = &m["metadata"]["signature_def"]["signature_def"];
    assert_eq!(sd["raw"]["outputs"]["logits"]["dtype"], "DT_FLOAT");
    assert_eq!(sd["serving_default"]["inputs"]["x"]["tensor_shape"]["dim"][0]["size"], "-1");
    assert_eq!(sd["serving_default"]["outputs"]["class"]["dtype"], "DT_INT32");
    let d = http.get("/v1/models/digits/versions/1/metadata").json();
    assert_eq!(d["metadata"]["signature_def"]["signature_def"]["serving_default"]["inputs"]["x"]["name"], "x:0");
    // KServe.
    assert_eq!(http.get("/v2/health/live").json()["live"], true);
    assert_eq!(http.get("/v2/health/ready").json()["ready"], true);
    assert_eq!(http.get("/v2").json()["name"], "wgtf");
    let k = http.get("/v2/models/digits").json();
    assert_eq!(k["platform"], "tensorflow_graphdef");
    assert_eq!(k["inputs"][0], serde_json::json!({"name": "x", "datatype": "FP32", "shape": [-1, 8, 8, 1]}));
    // Output dtypes and shapes of a frozen graph are learned from the warm-up run.
    assert_eq!(k["outputs"][0], serde_json::json!({"name": "probs", "datatype": "FP32", "shape": [-1, 10]}));
    assert_eq!(http.get("/v2/models/tf1/versions/1").json()["outputs"][0]["datatype"], "INT32");
    assert_eq!(http.get("/v2/models/selfie/ready").json()["ready"], true);
    assert_eq!(http.get("/v2/models/selfie/versions/1/ready").status, 200);
    // Metrics: requests by model, version, protocol and status; latencies; memory; versions.
    let x = json_list(&digits(0, 1));
    assert_eq!(http.post("/v1/models/digits:predict", &format!("{{\"instances\": {x}}}")).status, 200);
    let text = http.get("/metrics").body;
    let n = metric(&text, "wgtf_requests_total", &["model=\"digits\"", "version=\"1\"", "protocol=\"tfserving\"", "status=\"200\""]).unwrap_or(0.0);
    assert!(n >= 1.0, "{text}");
    for name in ["wgtf_request_duration_seconds_count", "wgtf_queue_duration_seconds_count", "wgtf_gpu_duration_seconds_count", "wgtf_batch_duration_seconds_count", "wgtf_batch_size_count"] {
        assert!(metric(&text, name, &["model=\"digits\""]).is_some_and(|v| v >= 1.0), "{name}: {text}");
    }
    assert!(metric(&text, "wgtf_model_memory_bytes", &["model=\"digits\"", "kind=\"weights\""]).is_some_and(|v| v > 0.0), "{text}");
    assert!(metric(&text, "wgtf_gpu_memory_bytes", &[]).is_some_and(|v| v > 0.0));
    assert_eq!(metric(&text, "wgtf_model_versions_loaded", &[]), Some(5.0));
}

#[test]
fn every_error_class_has_its_status_and_names_what_was_wrong() {
    let (_, http) = shared();
    let x1 = json_list(&digits(0, 1));
    let img = b64_file("models/digits/samples/3_32x32.png");
    let cases: Vec<(&str, &str, String, u16, &str)> = vec![
        ("POST", "/v1/models/digits:predict", "{\"instances\": [1,".into(), 400, "malformed request"),
        ("POST", "/v1/models/digits:predict", "[1, 2]".into(), 400, "malformed request"),
        ("POST", "/v1/models/digits:predict", format!("{{\"instances\": {x1}, \"inputs\": {x1}}}"), 400, "not both"),
        ("POST", "/v1/models/digits:predict", "{}".into(), 400, "needs \"instances\""),
        ("POST", "/v1/models/digits:predict", "{\"instances\": []}".into(), 400, "empty"),
        ("POST", "/v1/models/nope:predict", format!("{{\"instances\": {x1}}}"), 404, "model 'nope'"),
        ("POST", "/v1/models/digits/versions/9:predict", format!("{{\"instances\": {x1}}}"), 404, "no version 9"),
        ("POST", "/v1/models/digits/versions/x:predict", format!("{{\"instances\": {x1}}}"), 404, "not a number"),
        ("POST", "/v1/models/digits/labels/stable:predict", format!("{{\"instances\": {x1}}}"), 404, "labelled 'stable'"),
        ("POST", "/v1/models/tf1:predict", "{\"signature_name\": \"nope\", \"instances\": [[1,2,3,4,5]]}".into(), 400, "no signature 'nope' (signatures: raw, serving_default)"),
        ("POST", "/v1/models/digits:predict", format!("{{\"inputs\": {{\"y\": {x1}}}}}"), 400, "input 'y' is not an input of signature 'serving_default' (inputs: x)"),
        ("POST", "/v2/models/module/infer", "{\"parameters\": {\"signature_name\": \"lookup\"}, \"inputs\": [{\"name\": \"x\", \"shape\": [1], \"datatype\": \"INT32\", \"data\": [1]}]}".into(), 400, "input 'x' is not an input of signature 'lookup'"),
        ("POST", "/v1/models/digits:predict", "{\"instances\": [[1, 2, 3]]}".into(), 400, "the input has shape [?, 8, 8, 1], the request gives [1, 3]"),
        ("POST", "/v1/models/digits:predict", "{\"instances\": [[[1], [2, 3]]]}".into(), 400, "ragged list"),
        ("POST", "/v1/models/digits:predict", "{\"inputs\": [[\"a\"]]}".into(), 400, "not a number"),
        ("POST", "/v1/models/module:predict", "{\"signature_name\": \"lookup\", \"inputs\": [3000000000]}".into(), 400, "outside the range of int32"),
        ("POST", "/v1/models/module:predict", "{\"signature_name\": \"lookup\", \"inputs\": [1.5]}".into(), 400, "not an integer"),
        ("POST", "/v1/models/digits:predict", "{\"instances\": [{\"b64\": \"%%%\"}]}".into(), 400, "invalid base64"),
        ("POST", "/v1/models/digits:predict", "{\"instances\": [{\"b64\": \"aGVsbG8=\"}]}".into(), 400, "not a PNG or JPEG"),
        ("POST", "/v1/models/tf1:predict", format!("{{\"instances\": [{{\"b64\": \"{img}\"}}]}}"), 400, "feeds an image"),
        ("POST", "/v2/models/digits/infer", "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 8, 8, 1], \"datatype\": \"INT32\", \"data\": [0]}]}".into(), 400, "the input is FP32, the request says INT32"),
        ("POST", "/v2/models/digits/infer", "{\"inputs\": [{\"name\": \"x\", \"shape\": [2, 8, 8, 1], \"datatype\": \"FP32\", \"data\": [0]}]}".into(), 400, "has 128 elements, \"data\" has 1"),
        ("POST", "/v2/models/digits/infer", "{\"inputs\": [{\"name\": \"x\", \"shape\": [-1], \"datatype\": \"FP32\", \"data\": [0]}]}".into(), 400, "negative dim"),
        ("POST", "/v2/models/digits/infer", "{\"inputs\": [{\"name\": \"x\", \"shape\": [1], \"datatype\": \"FLOAT\", \"data\": [0]}]}".into(), 400, "unknown datatype 'FLOAT'"),
        ("POST", "/v2/models/digits/infer", "{\"inputs\": []}".into(), 400, "empty"),
        ("POST", "/v2/models/digits/infer", "{\"inputs\": [{\"name\": \"x\"}]}".into(), 400, "missing field"),
        ("POST", "/v2/models/tf1/infer", "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 5], \"datatype\": \"FP32\", \"data\": [1, 2, 3, 4, 5]}], \"outputs\": [{\"name\": \"nope:0\"}]}".into(), 400, "unknown tensor 'nope:0'"),
        ("POST", "/v1/models/digits:predict", format!("{{\"inputs\": {x1}, \"output_filter\": [\"probs\", \"probs\"]}}"), 400, "named twice"),
        ("POST", "/v1/models/tf1:predict", "{\"inputs\": {}}".into(), 400, "input 'x' of signature 'serving_default' is missing"),
        ("POST", "/v1/models/digits:classify", format!("{{\"instances\": {x1}}}"), 400, ":classify takes tf.Example"),
        ("POST", "/v1/models/digits", format!("{{\"instances\": {x1}}}"), 404, ":predict"),
        ("GET", "/v1/models/nope", String::new(), 404, "model 'nope'"),
        ("GET", "/v1/models/digits/versions/3", String::new(), 404, "no version 3"),
        ("GET", "/v2/models/nope/ready", String::new(), 404, "model 'nope'"),
        ("GET", "/v3/anything", String::new(), 404, "no such endpoint"),
        ("GET", "/v2/models/digits/infer", String::new(), 405, "Method Not Allowed"),
    ];
    for (method, path, body, status, says) in &cases {
        let a = if *method == "GET" { http.get(path) } else { http.post(path, body) };
        assert_eq!(a.status, *status, "{method} {path} {body:.100}: {}", a.body);
        let e = a.error();
        assert!(e.contains(says), "{method} {path} {body:.100}: '{e}' does not say '{says}'");
    }
    // The server goes on serving everyone else.
    assert_eq!(http.post("/v1/models/digits:predict", &format!("{{\"instances\": {x1}}}")).status, 200);
}

#[test]
fn a_body_over_the_limit_is_413() {
    let s = start(vec![model("digits", DIGITS)], |c| c.max_body_bytes = 4000);
    let http = Http::new(s.addr());
    let a = http.post("/v1/models/digits:predict", &format!("{{\"instances\": {}}}", json_list(&digits(0, 20))));
    assert_eq!(a.status, 413, "{}", a.body);
    assert!(a.error().contains("larger than the limit of 4000 bytes"), "{}", a.body);
    assert_eq!(http.post("/v1/models/digits:predict", &format!("{{\"instances\": {}}}", json_list(&digits(0, 1)))).status, 200);
    s.stop().unwrap();
}

#[test]
fn a_full_queue_is_503_with_retry_after_and_a_slow_request_504() {
    // One worker, a queue of one: of 12 requests sent at once, the ones beyond the running and
    // the queued one are refused at once; every other gets its right answer.
    let s = start(vec![model("selfie", SELFIE)], |c| {
        c.max_queue = 1;
        c.workers = 1;
    });
    let http = Http::new(s.addr());
    let body = format!("{{\"inputs\": {{\"b64\": \"{}\"}}}}", b64_file("models/samples/astronaut.png"));
    let answers: Vec<Answer> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..12).map(|_| sc.spawn(|| http.post("/v1/models/selfie:predict", &body))).collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok: Vec<&Answer> = answers.iter().filter(|a| a.status == 200).collect();
    let busy: Vec<&Answer> = answers.iter().filter(|a| a.status == 503).collect();
    assert_eq!(ok.len() + busy.len(), 12, "{:?}", answers.iter().map(|a| (a.status, a.body.chars().take(100).collect::<String>())).collect::<Vec<_>>());
    assert!(!busy.is_empty() && !ok.is_empty());
    for b in &busy {
        assert_eq!(b.retry_after.as_deref(), Some("1"));
        assert!(b.error().contains("model 'selfie' has too many requests queued"), "{}", b.body);
    }
    let first = bits(&floats(raw(&ok[0].body, "outputs")));
    assert!(ok.iter().all(|a| bits(&floats(raw(&a.body, "outputs"))) == first));
    s.stop().unwrap();
    // A request time limit shorter than a run: 504, named.
    let s = start(vec![model("selfie", SELFIE)], |c| c.request_timeout = Duration::from_millis(1));
    let http = Http::new(s.addr());
    let a = http.post("/v1/models/selfie:predict", &body);
    assert_eq!(a.status, 504, "{}", a.body);
    assert!(a.error().contains("longer than the limit of 1 ms"), "{}", a.body);
    assert_eq!(http.get("/v2/health/live").status, 200);
    s.stop().unwrap();
}

#[test]
fn sixteen_clients_fifty_requests_each_with_bad_ones_among_them() {
    let (_, http) = shared();
    let m = load(DIGITS);
    // Expected answers of single rows, computed once.
    let want: Vec<Vec<u32>> = (0..50).map(|i| bits(&run(&m, &[("x:0", &digits(i, i + 1))], "probs:0"))).collect();
    let rows: Vec<String> = (0..50).map(|i| json_list(&digits(i, i + 1))).collect();
    let started = Instant::now();
    let results: Vec<(usize, usize, usize)> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..16)
            .map(|c| {
                let (http, want, rows) = (http.clone(), &want, &rows);
                sc.spawn(move || {
                    let (mut good, mut bad, mut wrong) = (0, 0, 0);
                    for k in 0..50 {
                        let i = (c * 7 + k) % 50;
                        match (c + k) % 5 {
                            // A bad request of some kind.
                            0 => {
                                let (path, body, status) = match k % 3 {
                                    0 => ("/v1/models/digits:predict", "{\"instances\": [[1, 2]]}".to_string(), 400),
                                    1 => ("/v1/models/digits:predict", "{\"instances\": [".to_string(), 400),
                                    _ => ("/v2/models/nope/infer", "{}".to_string(), 404),
                                };
                                let a = http.post(path, &body);
                                if a.status == status && !a.error().is_empty() { bad += 1 } else { wrong += 1 }
                            }
                            1 | 2 => {
                                let a = http.post("/v1/models/digits:predict", &format!("{{\"instances\": {}}}", rows[i]));
                                if a.status == 200 && bits(&floats(raw(&a.body, "predictions"))) == want[i] { good += 1 } else { wrong += 1 }
                            }
                            _ => {
                                let body = format!("{{\"inputs\": [{{\"name\": \"x\", \"shape\": [1, 8, 8, 1], \"datatype\": \"FP32\", \"data\": {}}}]}}", rows[i]);
                                let a = http.post("/v2/models/digits/infer", &body);
                                if a.status == 200 && bits(&floats(&a.json()["outputs"][0]["data"].to_string())) == want[i] { good += 1 } else { wrong += 1 }
                            }
                        }
                    }
                    (good, bad, wrong)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().expect("a client thread")).collect()
    });
    let (good, bad, wrong) = results.iter().fold((0, 0, 0), |a, r| (a.0 + r.0, a.1 + r.1, a.2 + r.2));
    assert_eq!((good + bad, wrong), (800, 0), "good {good}, bad {bad}, wrong {wrong}");
    assert_eq!(bad, 160);
    assert!(started.elapsed() < Duration::from_secs(600));
    assert_eq!(http.get("/v2/health/live").status, 200);
}
