//! Variables and their restoration: which checkpoint key holds each variable's value, reading
//! the values, and rewriting the graph so every restored variable is a `Const` (the load-time
//! folding then uploads it once).
//!
//! The rewrite is TensorFlow's own (`convert_variables_to_constants`): `VariableV2`/`Variable`/
//! `VarHandleOp` become `Const` nodes of the same name; a `ReadVariableOp` of one becomes an
//! `Identity`, `ResourceGather` a `GatherV2` (with a `NAME/axis` constant), `ResourceGatherNd` a
//! `GatherNd`; the `T` of Identity-like nodes on the way is set to the value's dtype.
mod convert;
mod plan;
mod prune;

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use super::checkpoint::Checkpoint;
use crate::error::{Error, Result};
use crate::graph::{Graph, Node};
use crate::tensor::{DType, Tensor};

pub use convert::{convert_to_constants, encode_tensor};
pub use plan::{saver_keys, RestorePlan};
pub use prune::{remove_downstream, remove_savers, remove_with_orphans, variable_uses, Uses};

/// Ops that hold a variable.
pub const VARIABLE_OPS: [&str; 3] = ["VariableV2", "Variable", "VarHandleOp"];

/// Which variables to restore, from where, and values given by the caller (like
/// `tf.compat.v1.train.Saver(var_list)`: all variables by default, a subset, or a map from
/// checkpoint keys to graph variables).
#[derive(Clone, Debug, Default)]
pub struct RestoreOptions {
    /// The checkpoint prefix to restore from, instead of the model's own (the `.meta`'s prefix,
    /// a SavedModel's `variables/variables`).
    pub checkpoint: Option<PathBuf>,
    /// Restore only these variables (graph names, with or without the import prefix); every
    /// other variable that the model needs must then be given in `values`.
    pub only: Option<Vec<String>>,
    /// Checkpoint key -> graph variable, for variables saved under another name.
    pub rename: BTreeMap<String, String>,
    /// Values for variables (graph names); they take precedence over the checkpoint.
    pub values: BTreeMap<String, Tensor>,
}

/// A variable of a loaded model.
#[derive(Clone, Debug)]
pub struct VariableInfo {
    /// The node's name in the graph.
    pub name: String,
    pub op: String,
    pub dtype: Option<DType>,
    /// `None`: unknown rank; `None` dims are unknown.
    pub shape: Option<Vec<Option<usize>>>,
    /// The checkpoint key its value is read from.
    pub key: String,
    /// Where the value came from.
    pub source: ValueSource,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueSource {
    Checkpoint,
    Given,
    /// Not restored: the model's outputs do not need it (it was removed from the graph).
    Unused,
}

fn verr(msg: impl Into<String>) -> Error {
    Error::Restore(msg.into())
}

/// The variable nodes of a graph.
pub fn variable_nodes(g: &Graph) -> Vec<&Node> {
    g.nodes.iter().filter(|n| VARIABLE_OPS.contains(&n.op.as_str())).collect()
}

/// `name` without the import prefix `scope/`.
pub fn unscoped<'a>(name: &'a str, scope: Option<&str>) -> &'a str {
    match scope.filter(|s| !s.is_empty()) {
        Some(s) => name.strip_prefix(s.trim_end_matches('/')).and_then(|r| r.strip_prefix('/')).unwrap_or(name),
        None => name,
    }
}

/// Restores the variables of `g` (see [`RestoreOptions`]): the ones the model needs (an error
/// naming each without a value, with its key) and the ones it reads otherwise, when they have a
/// value, become constants; the others (optimizer slots, steps) are removed with what uses them,
/// unread.
pub fn restore(g: &mut Graph, ckpt: Option<&Checkpoint>, plan: &RestorePlan) -> Result<Vec<VariableInfo>> {
    let names: Vec<String> = variable_nodes(g).iter().map(|n| n.name.clone()).collect();
    let uses = variable_uses(g)?;
    let wanted: Vec<String> = names.iter().filter(|n| uses.needed.contains(*n) || uses.read.contains(*n)).cloned().collect();
    let values = plan.values(g, ckpt, &wanted)?;
    let mut missing = Vec::new();
    let mut unused: HashSet<String> = names.iter().filter(|n| !wanted.contains(n)).cloned().collect();
    let mut convert = Vec::new();
    let mut infos: Vec<VariableInfo> = names.iter().filter(|n| unused.contains(*n)).map(|n| plan.describe(g, n, ValueSource::Unused)).collect();
    for (name, value, mut info) in values {
        match value {
            Ok(v) => convert.push((name, v)),
            Err(why) if uses.needed.contains(&name) => missing.push(why),
            Err(_) => {
                info.source = ValueSource::Unused;
                unused.insert(name);
            }
        }
        infos.push(info);
    }
    if !missing.is_empty() {
        let n = missing.len();
        let shown: Vec<String> = missing.into_iter().take(8).collect();
        let more = if n > 8 { format!(" (+{} more)", n - 8) } else { String::new() };
        return Err(verr(format!("{}{more}", shown.join("; "))));
    }
    convert_to_constants(g, convert)?;
    remove_downstream(g, &unused)?;
    infos.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(infos)
}
#[cfg(test)]
mod testing {
    use crate::proto::{self, AttrValue, attr_value::Value};

    pub(super) fn nd(name: &str, op: &str, inputs: &[&str], attrs: Vec<(&str, Value)>) -> proto::NodeDef {
        proto::NodeDef {
            name: name.into(),
            op: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            attr: attrs.into_iter().map(|(k, v)| (k.to_string(), AttrValue { value: Some(v) })).collect(),
            ..Default::default()
        }
    }
}
