//! Where each variable's value comes from: the keys a saver in the graph restores from, the
//! caller's values and renames, and checks of each value against its variable.
use std::collections::HashMap;

use super::convert::encode_tensor;
use super::{unscoped, variable_nodes, verr, RestoreOptions, ValueSource, VariableInfo, VARIABLE_OPS};
use crate::error::Result;
use crate::graph::{Graph, Node, TensorRef};
use crate::import::checkpoint::{Checkpoint, StoredTensor};
use crate::proto::TensorProto;
use crate::tensor::{DType, Data};

/// Finds the graph variable that `name` designates: the node itself, or the node under the
/// import prefix.
fn find_var<'a>(vars: &'a [String], name: &str, scope: Option<&str>) -> Option<&'a String> {
    let name = name.strip_suffix(":0").unwrap_or(name);
    vars.iter().find(|v| v.as_str() == name).or_else(|| vars.iter().find(|v| unscoped(v, scope) == name))
}

/// The checkpoint keys a `tf.compat.v1.train.Saver` in the graph restores each variable from:
/// each `RestoreV2` output `i` (key `tensor_names[i]`) that reaches an `Assign` or
/// `AssignVariableOp` (through Identity nodes) restores the variable that op assigns. This is how
/// variables saved under other names (`Saver({"v1": other_v1})`) are found. Works on inlined
/// TF2 restore functions too.
pub fn saver_keys(g: &Graph) -> HashMap<String, String> {
    let mut consumers: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
    for (i, n) in g.nodes.iter().enumerate() {
        for (k, r) in n.inputs.iter().enumerate() {
            consumers.entry(r.node.as_str()).or_default().push((i, k));
        }
    }
    let mut keys = HashMap::new();
    for n in g.nodes.iter().filter(|n| n.op == "RestoreV2") {
        let Some(names) = n.inputs.get(1).and_then(|r| source(g, r)).filter(|c| c.op == "Const") else { continue };
        let Ok(t) = names.attr_tensor("value") else { continue };
        let Data::Str(names) = t.data() else { continue };
        // Walk from each output through Identity nodes to the assignments.
        let mut todo: Vec<(String, usize, String)> = names
            .iter()
            .enumerate()
            .map(|(i, k)| (n.name.clone(), i, String::from_utf8_lossy(k).into_owned()))
            .collect();
        let mut steps = 0;
        while let Some((node, out, key)) = todo.pop() {
            steps += 1;
            if steps > 100_000 {
                break;
            }
            for &(ci, k) in consumers.get(node.as_str()).map(|v| v.as_slice()).unwrap_or(&[]) {
                let c = &g.nodes[ci];
                if c.inputs[k].index != out {
                    continue;
                }
                match c.op.as_str() {
                    "Identity" | "Snapshot" => todo.push((c.name.clone(), 0, key.clone())),
                    "Assign" | "AssignVariableOp" if k == 1 => {
                        if let Some(v) = c.inputs.first().and_then(|r| source(g, r)).filter(|v| VARIABLE_OPS.contains(&v.op.as_str())) {
                            keys.insert(v.name.clone(), key.clone());
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    keys
}

/// Follows Identity chains upstream to the node that produces a value.
fn source<'a>(g: &'a Graph, mut r: &'a TensorRef) -> Option<&'a Node> {
    for _ in 0..64 {
        let n = g.node(&r.node)?;
        if matches!(n.op.as_str(), "Identity" | "Snapshot") && !n.inputs.is_empty() {
            r = &n.inputs[0];
        } else {
            return Some(n);
        }
    }
    None
}
/// Checks a value against what the variable node declares; the error names both.
fn check_value(var: &Node, dtype: DType, shape: &[usize], from: &str) -> Result<()> {
    if let Some(want) = var.attr_opt_dtype("dtype")? {
        if want != dtype {
            return Err(verr(format!("variable '{}' is {want}, but {from} is {dtype}", var.name)));
        }
    }
    if let Some(dims) = var.attr_opt_shape("shape")?.dims() {
        let ok = dims.len() == shape.len() && dims.iter().zip(shape).all(|(d, s)| d.is_none_or(|d| d == *s));
        if !ok {
            let want: Vec<String> = dims.iter().map(|d| d.map_or("?".into(), |d| d.to_string())).collect();
            return Err(verr(format!(
                "variable '{}' has shape [{}], but {from} has shape {shape:?}",
                var.name,
                want.join(", ")
            )));
        }
    }
    Ok(())
}

/// Where each variable's value comes from: the caller's, or a checkpoint key.
pub struct RestorePlan<'a> {
    pub opts: &'a RestoreOptions,
    /// The import prefix of the graph (stripped to form default keys).
    pub scope: Option<&'a str>,
    /// Keys known from the model (its saver, its object graph), by variable node.
    pub keys: HashMap<String, String>,
}

impl RestorePlan<'_> {
    /// The key of every variable: the caller's rename map, else the model's, else its name.
    pub fn key_of(&self, var: &str) -> String {
        if let Some((k, _)) = self.opts.rename.iter().find(|(_, v)| {
            let v = v.strip_suffix(":0").unwrap_or(v);
            v == var || unscoped(var, self.scope) == v
        }) {
            return k.clone();
        }
        self.keys.get(var).cloned().unwrap_or_else(|| unscoped(var, self.scope).to_string())
    }

    /// Checks that every variable the options name exists.
    fn check_names(&self, vars: &[String]) -> Result<()> {
        let mut unknown = Vec::new();
        let named = self.opts.only.iter().flatten().chain(self.opts.rename.values()).chain(self.opts.values.keys());
        for n in named {
            if find_var(vars, n, self.scope).is_none() {
                unknown.push(n.clone());
            }
        }
        if unknown.is_empty() {
            return Ok(());
        }
        let mut have: Vec<&str> = vars.iter().map(|s| s.as_str()).take(20).collect();
        if vars.len() > 20 {
            have.push("…");
        }
        Err(verr(format!("no variable named {} in the graph (variables: {})", unknown.join(", "), have.join(", "))))
    }

    /// Whether `var` is to be restored from the checkpoint.
    fn restores(&self, vars: &[String], var: &str) -> bool {
        match &self.opts.only {
            None => true,
            Some(list) => list.iter().any(|n| find_var(vars, n, self.scope).is_some_and(|v| v == var)),
        }
    }

    /// What the graph declares about a variable, and its key.
    pub fn describe(&self, g: &Graph, name: &str, source: ValueSource) -> VariableInfo {
        let node = g.node(name);
        VariableInfo {
            name: name.to_string(),
            op: node.map(|n| n.op.clone()).unwrap_or_default(),
            dtype: node.and_then(|n| n.attr_opt_dtype("dtype").ok().flatten()),
            shape: node.and_then(|n| n.attr_opt_shape("shape").ok().and_then(|s| s.dims())),
            key: self.key_of(name),
            source,
        }
    }

    /// The value for each variable (or why there is none).
    pub fn values(&self, g: &Graph, ckpt: Option<&Checkpoint>, which: &[String]) -> Result<Vec<(String, std::result::Result<TensorProto, String>, VariableInfo)>> {
        let vars: Vec<String> = variable_nodes(g).iter().map(|n| n.name.clone()).collect();
        self.check_names(&vars)?;
        let mut out = Vec::new();
        for name in which {
            let node = g.node(name).expect("a variable of the graph");
            let key = self.key_of(name);
            let mut info = self.describe(g, name, ValueSource::Given);
            let given = self.opts.values.iter().find(|(n, _)| find_var(&vars, n, self.scope).is_some_and(|v| v == name));
            let value = if let Some((_, t)) = given {
                check_value(node, t.dtype(), t.shape(), "the value given")?;
                Ok(encode_tensor(t))
            } else if !self.restores(&vars, name) {
                Err(format!("variable '{name}' is not in the restore list and no value was given for it"))
            } else {
                info.source = ValueSource::Checkpoint;
                match ckpt {
                    None => Err(format!("variable '{name}' needs a checkpoint (key '{key}') and the model has none")),
                    Some(c) if !c.contains(&key) => Err(format!(
                        "variable '{name}' restores from key '{key}', which checkpoint {} does not have",
                        c.prefix().display()
                    )),
                    Some(c) => {
                        let (dt, shape) = c.info(&key)?;
                        check_value(node, dt, &shape, &format!("checkpoint key '{key}' of {}", c.prefix().display()))?;
                        let t: StoredTensor = c.read(&key)?;
                        Ok(t.to_proto())
                    }
                }
            };
            out.push((name.clone(), value, info));
        }
        Ok(out)
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::variables::encode_tensor;
    use crate::import::variables::testing::nd;
    use crate::proto::{self, attr_value::Value};
    use crate::tensor::Tensor;

    #[test]
    fn saver_keys_follow_restore_ops_to_assignments() {
        let s = DType::String;
        let names = Tensor::new(s, vec![2], Data::Str(vec![b"v1".to_vec(), b"w".to_vec()])).unwrap();
        let gd = proto::GraphDef {
            node: vec![
                nd("other_v1", "VariableV2", &[], vec![]),
                nd("res", "VarHandleOp", &[], vec![]),
                nd("save/names", "Const", &[], vec![("value", Value::Tensor(encode_tensor(&names)))]),
                nd("save/RestoreV2", "RestoreV2", &["save/f", "save/names", "save/s"], vec![]),
                nd("save/Assign", "Assign", &["other_v1", "save/RestoreV2"], vec![]),
                nd("save/Identity", "Identity", &["save/RestoreV2:1"], vec![]),
                nd("save/AssignVariableOp", "AssignVariableOp", &["res", "save/Identity"], vec![]),
            ],
            ..Default::default()
        };
        let g = Graph::from_graph_def(gd, None).unwrap();
        let k = saver_keys(&g);
        assert_eq!(k.get("other_v1").map(|s| s.as_str()), Some("v1"));
        assert_eq!(k.get("res").map(|s| s.as_str()), Some("w"));
    }
}
