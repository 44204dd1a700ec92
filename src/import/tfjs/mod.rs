//! TensorFlow.js graph models: a `model.json` whose `modelTopology` is a GraphDef in protobuf's
//! JSON mapping (decoded by the serde code pbjson generates for our protos), whose
//! `weightsManifest` lists the weight shards (`group1-shard1of2.bin`, …) and each weight's name,
//! dtype, shape and quantization, with an optional `signature` (a SignatureDef: its keys name
//! inputs and outputs) and an optional `modelInitializer` graph (merged into the graph, so what
//! it computes folds once, at load).
//!
//! Weights become the values of the `Const` nodes of the same name. Quirks of published files
//! are accepted: string attributes written as lists of character codes, int64 (or other)
//! constants stored as int32/float32 weights, fused ops without their `TArgs` attribute.
//! A missing, damaged or truncated shard, a manifest that disagrees with its files, a weight
//! that no constant receives, or a constant that no weight fills is an error naming the file:
//! no numbers ever come from a damaged file.
pub mod to_tf;
pub mod weights;

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use self::weights::{decode_group, WeightGroup};
use super::meta_graph::{tensor_spec, SignatureInfo, SignatureTensor};
use crate::error::{Error, Result};
use crate::graph::decode_shape;
use crate::proto::{self, attr_value, AttrValue, GraphDef, NodeDef};
use crate::tensor::{DType, Tensor};

/// The parts of `model.json` that wgtf reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelJson {
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub generated_by: Option<String>,
    #[serde(default)]
    pub converted_by: Option<String>,
    #[serde(default)]
    pub model_topology: Option<Value>,
    #[serde(default)]
    pub weights_manifest: Vec<WeightGroup>,
    #[serde(default)]
    pub signature: Option<Value>,
    #[serde(default)]
    pub model_initializer: Option<Value>,
    /// Some converters put the signature here (`userDefinedMetadata.signature`).
    #[serde(default)]
    pub user_defined_metadata: Option<Value>,
}

/// A TF.js graph model, decoded: the graph with its weights in place, and its signature.
#[derive(Debug)]
pub struct TfjsModel {
    pub graph: GraphDef,
    pub signature: Option<SignatureInfo>,
    /// Who converted it (`convertedBy`), for `wgtf info`.
    pub converted_by: Option<String>,
}

/// Whether a path names a TF.js model: a `.json` file, or a directory with `model.json` (and
/// no SavedModel).
pub fn is_model_json(path: &Path) -> bool {
    if path.is_dir() {
        return path.join("model.json").is_file();
    }
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

fn err(path: &Path, msg: impl Into<String>) -> Error {
    Error::Tfjs { path: path.to_path_buf(), msg: msg.into() }
}

impl ModelJson {
    /// Parses `model.json` (`path` only names it in errors).
    pub fn parse(bytes: &[u8], path: &Path) -> Result<ModelJson> {
        let m: ModelJson = serde_json::from_slice(bytes).map_err(|e| err(path, format!("not a TF.js model.json: {e}")))?;
        match m.format.as_deref() {
            Some("layers-model") => {
                return Err(err(path, "a TF.js layers model (a Keras model); wgtf loads graph models (`tensorflowjs_converter --output_format=tfjs_graph_model`)"))
            }
            Some("graph-model") | None => {}
            Some(other) => return Err(err(path, format!("unknown format '{other}' (wgtf loads TF.js graph models)"))),
        }
        if m.model_topology.is_none() {
            return Err(err(path, "no modelTopology"));
        }
        Ok(m)
    }

    /// The shard paths of every group, in manifest order, relative to the model's directory.
    /// Paths that leave that directory are refused.
    pub fn shard_paths(&self, path: &Path) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for g in &self.weights_manifest {
            for p in &g.paths {
                let rel = Path::new(p);
                if p.is_empty() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
                    return Err(err(path, format!("weight shard path '{p}' leaves the model's directory")));
                }
                out.push(p.clone());
            }
        }
        Ok(out)
    }

    /// Builds the model from the shards' bytes (`shard(p)` returns the file at path `p` of
    /// [`ModelJson::shard_paths`]; errors name the file), under the import `scope`.
    pub fn build(self, path: &Path, shard: &mut dyn FnMut(&str) -> Result<Vec<u8>>, scope: Option<&str>) -> Result<TfjsModel> {
        let mut graph = graph_def(self.model_topology.unwrap_or(Value::Null), path, "modelTopology")?;
        if let Some(init) = self.model_initializer {
            let init = graph_def(init, path, "modelInitializer")?;
            let have: HashMap<String, usize> = graph.node.iter().enumerate().map(|(i, n)| (n.name.clone(), i)).collect();
            for n in init.node {
                match have.get(&n.name) {
                    Some(&i) if graph.node[i].op == n.op => {}
                    Some(&i) => {
                        return Err(err(path, format!(
                            "node '{}' is a {} in modelTopology and a {} in modelInitializer",
                            n.name, graph.node[i].op, n.op
                        )))
                    }
                    None => graph.node.push(n),
                }
            }
        }
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for (i, n) in graph.node.iter().enumerate() {
            if by_name.insert(n.name.clone(), i).is_some() {
                return Err(err(path, format!("two nodes are named '{}'", n.name)));
            }
        }
        let mut filled = vec![false; graph.node.len()];
        for group in &self.weights_manifest {
            let mut bytes = Vec::new();
            let mut last = PathBuf::new();
            for p in &group.paths {
                bytes.extend(shard(p)?);
                last = path.with_file_name(p);
            }
            let what = if group.paths.len() == 1 { last.clone() } else { path.to_path_buf() };
            let ws = decode_group(group, &bytes).map_err(|m| {
                err(&what, format!("{m} (weight group of {}: {})", path.display(), group.paths.join(", ")))
            })?;
            for (name, t) in ws {
                let &i = by_name.get(&name).ok_or_else(|| err(path, format!("weight '{name}' has no node of that name in the graph")))?;
                set_value(&mut graph.node[i], t).map_err(|m| err(path, m))?;
                filled[i] = true;
            }
        }
        for (i, n) in graph.node.iter().enumerate() {
            if n.op == "Const" && !filled[i] {
                check_inline_const(n).map_err(|m| err(path, m))?;
            }
        }
        let sig = self.signature.or_else(|| self.user_defined_metadata.and_then(|mut m| m.get_mut("signature").map(Value::take)));
        let signature = sig.map(|s| signature(s, path, scope)).transpose()?.flatten();
        Ok(TfjsModel { graph, signature, converted_by: self.converted_by })
    }
}

impl TfjsModel {
    /// The graph, under the import scope the model was built with, its signature's keys naming
    /// tensors (what `Context::load` gives for a `model.json`; for the bytes of a model fetched
    /// elsewhere, as in a browser).
    pub fn into_graph(self, scope: Option<&str>) -> Result<crate::graph::Graph> {
        let mut g = crate::graph::Graph::from_graph_def(self.graph, scope)?;
        if let Some(s) = &self.signature {
            g.aliases = super::meta_graph::aliases(s)?;
        }
        Ok(g)
    }
}

/// Reads `model.json` (or `DIR/model.json`) and its shards from files beside it.
pub fn read(path: &Path, scope: Option<&str>) -> Result<TfjsModel> {
    let json = if path.is_dir() { path.join("model.json") } else { path.to_path_buf() };
    let bytes = std::fs::read(&json).map_err(|e| Error::io(&json, e))?;
    let m = ModelJson::parse(&bytes, &json)?;
    let dir = json.parent().map(Path::to_path_buf).unwrap_or_default();
    m.shard_paths(&json)?;
    m.build(
        &json,
        &mut |p| {
            let f = dir.join(p);
            std::fs::read(&f).map_err(|e| Error::Tfjs { path: f.clone(), msg: format!("weight shard named in {}: {e}", json.display()) })
        },
        scope,
    )
}

/// A GraphDef from its JSON mapping, with the quirks of published files mended first.
fn graph_def(mut v: Value, path: &Path, what: &str) -> Result<GraphDef> {
    if let Some(nodes) = v.get_mut("node").and_then(Value::as_array_mut) {
        for n in nodes {
            mend_node(n);
        }
    }
    if let Some(fns) = v.pointer_mut("/library/function").and_then(Value::as_array_mut) {
        for f in fns {
            for key in ["nodeDef", "node_def"] {
                if let Some(nodes) = f.get_mut(key).and_then(Value::as_array_mut) {
                    nodes.iter_mut().for_each(mend_node);
                }
            }
        }
    }
    serde_json::from_value(v).map_err(|e| err(path, format!("{what} is not a GraphDef: {e}")))
}

/// String attributes written as arrays of character codes become the base64 strings of the
/// JSON mapping (in `s` and in `list.s`).
fn mend_node(n: &mut Value) {
    let Some(attrs) = n.get_mut("attr").and_then(Value::as_object_mut) else { return };
    for a in attrs.values_mut() {
        if let Some(s) = a.get_mut("s") {
            mend_bytes(s);
        }
        if let Some(list) = a.pointer_mut("/list/s").and_then(Value::as_array_mut) {
            list.iter_mut().for_each(mend_bytes);
        }
    }
}

fn mend_bytes(v: &mut Value) {
    let Some(codes) = v.as_array() else { return };
    let bytes: Option<Vec<u8>> = codes.iter().map(|c| c.as_u64().and_then(|c| u8::try_from(c).ok())).collect();
    if let Some(b) = bytes {
        use base64::Engine;
        *v = Value::String(base64::engine::general_purpose::STANDARD.encode(b));
    }
}

/// Puts a weight into its node: the value of a `Const` (cast to the dtype the node declares,
/// as TF.js stores int64 constants as int32 weights).
fn set_value(n: &mut NodeDef, t: Tensor) -> std::result::Result<(), String> {
    if n.op != "Const" {
        return Err(format!("weight '{}' names a {} node, not a Const", n.name, n.op));
    }
    let declared = match n.attr.get("dtype").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Type(d)) => DType::from_tf(*d),
        _ => None,
    };
    let t = match declared {
        Some(d) if d != t.dtype() => {
            let ok = (t.dtype().is_numeric() || t.dtype() == DType::Bool) && (d.is_numeric() || d == DType::Bool);
            if !ok {
                return Err(format!("weight '{}' is {}, its Const is {d}", n.name, t.dtype()));
            }
            t.cast(d).map_err(|e| format!("weight '{}': {e}", n.name))?
        }
        _ => t,
    };
    if let Some(attr_value::Value::Tensor(p)) = n.attr.get("value").and_then(|a| a.value.as_ref()) {
        if let Some(Some(dims)) = p.tensor_shape.as_ref().and_then(|s| decode_shape(s).ok()) {
            let known: Option<Vec<usize>> = dims.into_iter().collect();
            if known.as_deref().is_some_and(|d| d != t.shape()) {
                return Err(format!("weight '{}' has shape {:?}, its Const declares {:?}", n.name, t.shape(), known.unwrap_or_default()));
            }
        }
    }
    let tp = super::variables::encode_tensor(&t);
    n.attr.insert("dtype".into(), AttrValue { value: Some(attr_value::Value::Type(t.dtype().to_tf())) });
    n.attr.insert("value".into(), AttrValue { value: Some(attr_value::Value::Tensor(tp)) });
    Ok(())
}

/// A `Const` that no weight filled must hold its value in the topology: an empty value with
/// elements would otherwise read as zeros.
fn check_inline_const(n: &NodeDef) -> std::result::Result<(), String> {
    let Some(attr_value::Value::Tensor(p)) = n.attr.get("value").and_then(|a| a.value.as_ref()) else {
        return Err(format!("Const '{}' has no value and no weight in the manifest", n.name));
    };
    let elements = match p.tensor_shape.as_ref().map(decode_shape) {
        Some(Ok(Some(dims))) => dims.iter().map(|d| d.unwrap_or(0)).product::<usize>(),
        _ => 0,
    };
    let has_values = !p.tensor_content.is_empty()
        || !p.float_val.is_empty()
        || !p.double_val.is_empty()
        || !p.int_val.is_empty()
        || !p.int64_val.is_empty()
        || !p.bool_val.is_empty()
        || !p.string_val.is_empty()
        || !p.half_val.is_empty()
        || !p.uint32_val.is_empty()
        || !p.uint64_val.is_empty();
    if elements > 0 && !has_values {
        return Err(format!("Const '{}' of {elements} elements has no value and no weight in the manifest", n.name));
    }
    Ok(())
}

/// The model's signature (a SignatureDef in the JSON mapping), named `serving_default`.
fn signature(v: Value, path: &Path, scope: Option<&str>) -> Result<Option<SignatureInfo>> {
    if v.as_object().is_none_or(|o| o.is_empty()) {
        return Ok(None);
    }
    let s: proto::SignatureDef = serde_json::from_value(v).map_err(|e| err(path, format!("signature is not a SignatureDef: {e}")))?;
    let tensors = |m: &BTreeMap<String, proto::TensorInfo>| -> Vec<SignatureTensor> {
        m.iter().filter_map(|(k, t)| tensor_spec(k, t, scope)).collect()
    };
    Ok(Some(SignatureInfo {
        key: "serving_default".into(),
        method: s.method_name.clone(),
        inputs: tensors(&s.inputs),
        outputs: tensors(&s.outputs),
    }))
}
