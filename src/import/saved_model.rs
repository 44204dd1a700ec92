//! SavedModel directories: `saved_model.pb` (one meta graph per tag set) and the checkpoint
//! `variables/variables.{index,data-*}`.
//!
//! TF1 SavedModels (`tf.compat.v1.saved_model.Builder`) key variables by name through their
//! saver. TF2 SavedModels (`tf.saved_model.save`) call functions of the library
//! (`StatefulPartitionedCall`), passing the variables (`VarHandleOp` nodes) as the calls' last
//! inputs; the object graph says which object each captured input is (`bound_inputs`), and the
//! checkpoint's own object graph (`_CHECKPOINTABLE_OBJECT_GRAPH`, same node ids) gives each
//! object's checkpoint key.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use prost::Message;

use super::checkpoint::{self, Checkpoint, StoredData};
use super::meta_graph::scoped;
use crate::error::{Error, Result};
use crate::graph::TensorRef;
use crate::proto::{GraphDef, MetaGraphDef, SavedModel, SavedObjectGraph, TrackableObjectGraph};

/// The checkpoint key under which TF2 checkpoints store their object graph.
pub const OBJECT_GRAPH_KEY: &str = "_CHECKPOINTABLE_OBJECT_GRAPH";

/// Whether a directory is a SavedModel.
pub fn is_saved_model(dir: &Path) -> bool {
    dir.join("saved_model.pb").is_file() || dir.join("saved_model.pbtxt").is_file()
}

/// Reads `saved_model.pb` and picks the meta graph with these tags (default: `serve`, or the
/// only one). Returns it with its checkpoint prefix, when the model has variables.
pub fn read(dir: &Path, tags: &[String]) -> Result<(MetaGraphDef, Option<PathBuf>)> {
    let path = dir.join("saved_model.pb");
    if !path.is_file() && dir.join("saved_model.pbtxt").is_file() {
        return Err(Error::InvalidModel(format!(
            "{}: text-format SavedModels (saved_model.pbtxt) are not supported; save it in binary form",
            dir.display()
        )));
    }
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let sm = SavedModel::decode(bytes.as_slice())
        .map_err(|source| Error::Decode { what: format!("{} (as a SavedModel)", path.display()), source })?;
    let tag_sets: Vec<Vec<String>> =
        sm.meta_graphs.iter().map(|m| m.meta_info_def.as_ref().map(|i| i.tags.clone()).unwrap_or_default()).collect();
    let pick = if tags.is_empty() {
        tag_sets.iter().position(|t| t.len() == 1 && t[0] == "serve").or_else(|| (tag_sets.len() == 1).then_some(0))
    } else {
        tag_sets.iter().position(|t| tags.iter().all(|w| t.contains(w)))
    };
    let Some(i) = pick else {
        let have: Vec<String> = tag_sets.iter().map(|t| format!("[{}]", t.join(", "))).collect();
        return Err(Error::InvalidModel(format!(
            "{}: no meta graph with tags [{}] (tag sets: {}); choose one with --tag",
            path.display(),
            if tags.is_empty() { "serve".to_string() } else { tags.join(", ") },
            if have.is_empty() { "none".to_string() } else { have.join(" ") }
        )));
    };
    let mg = sm.meta_graphs.into_iter().nth(i).expect("index from position");
    let prefix = dir.join("variables").join("variables");
    Ok((mg, checkpoint::is_prefix(&prefix).then_some(prefix)))
}

/// The checkpoint key of each variable node a TF2 SavedModel passes to its functions, through
/// the object graph. Empty for TF1 models.
pub fn object_graph_keys(
    gd: &GraphDef,
    og: Option<&SavedObjectGraph>,
    ckpt: Option<&Checkpoint>,
    scope: Option<&str>,
) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    let (Some(og), Some(ckpt)) = (og, ckpt) else { return Ok(out) };
    if og.nodes.is_empty() || !ckpt.contains(OBJECT_GRAPH_KEY) {
        return Ok(out);
    }
    let t = ckpt.read(OBJECT_GRAPH_KEY)?;
    let bytes = match &t.data {
        StoredData::Strings(s) if s.len() == 1 => &s[0],
        _ => {
            return Err(Error::Checkpoint {
                path: checkpoint::index_path(ckpt.prefix()),
                msg: format!("{OBJECT_GRAPH_KEY} is not a scalar string"),
            })
        }
    };
    let tog = TrackableObjectGraph::decode(bytes.as_slice()).map_err(|source| Error::Decode {
        what: format!("{OBJECT_GRAPH_KEY} of {} (as a TrackableObjectGraph)", ckpt.prefix().display()),
        source,
    })?;
    let key_of = |id: i32| -> Option<&str> {
        let node = tog.nodes.get(usize::try_from(id).ok()?)?;
        node.attributes.iter().find(|a| a.name == "VARIABLE_VALUE").map(|a| a.checkpoint_key.as_str())
    };
    let var_nodes: std::collections::HashSet<&str> =
        gd.node.iter().filter(|m| m.op == "VarHandleOp").map(|m| m.name.as_str()).collect();
    for n in &gd.node {
        if !matches!(n.op.as_str(), "StatefulPartitionedCall" | "PartitionedCall") {
            continue;
        }
        let Some(crate::proto::attr_value::Value::Func(f)) = n.attr.get("f").and_then(|a| a.value.as_ref()) else { continue };
        let Some(cf) = og.concrete_functions.get(&f.name) else { continue };
        let data: Vec<&String> = n.input.iter().filter(|i| !i.starts_with('^')).collect();
        if cf.bound_inputs.len() > data.len() {
            continue;
        }
        let first = data.len() - cf.bound_inputs.len();
        for (input, &id) in data[first..].iter().zip(&cf.bound_inputs) {
            let Ok(r) = TensorRef::parse(input) else { continue };
            if let (true, Some(key)) = (var_nodes.contains(r.node.as_str()), key_of(id)) {
                out.insert(scoped(&r.node, scope), key.to_string());
            }
        }
    }
    Ok(out)
}
