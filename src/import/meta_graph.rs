//! Meta graphs (`MetaGraphDef`: a `.meta` file written by `tf.compat.v1.train.Saver`, or one
//! graph of a SavedModel): the GraphDef with attribute defaults restored, its signatures, its
//! saver, imported like `tf.compat.v1.train.import_meta_graph(import_scope=…)`.
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use prost::Message;

use crate::error::{Error, Result};
use crate::graph::{decode_shape, Graph, TensorRef};
use crate::proto::{self, GraphDef, MetaGraphDef, OpList};
use crate::tensor::DType;

/// One tensor of a signature: its key, the graph tensor it stands for, and what it declares.
#[derive(Clone, Debug)]
pub struct SignatureTensor {
    pub key: String,
    pub tensor: String,
    pub dtype: Option<DType>,
    /// `None`: unknown rank; `None` dims are unknown.
    pub shape: Option<Vec<Option<usize>>>,
}

/// A signature (`SignatureDef`) of a meta graph.
#[derive(Clone, Debug)]
pub struct SignatureInfo {
    pub key: String,
    pub method: String,
    pub inputs: Vec<SignatureTensor>,
    pub outputs: Vec<SignatureTensor>,
}

/// Reads a `.meta` file.
pub fn read(path: &Path) -> Result<MetaGraphDef> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    MetaGraphDef::decode(bytes.as_slice())
        .map_err(|source| Error::Decode { what: format!("{} (as a MetaGraphDef)", path.display()), source })
}

/// `name` under the import scope.
pub fn scoped(name: &str, scope: Option<&str>) -> String {
    match scope.filter(|s| !s.is_empty()) {
        Some(s) => format!("{}/{name}", s.trim_end_matches('/')),
        None => name.to_string(),
    }
}

/// Puts back the attributes equal to their OpDef default that the writer left out
/// (`stripped_default_attrs`), in the graph's nodes and in its functions' nodes.
pub fn fill_default_attrs(gd: &mut GraphDef, ops: &OpList) {
    let defaults: HashMap<&str, Vec<(&str, &proto::AttrValue)>> = ops
        .op
        .iter()
        .map(|o| (o.name.as_str(), o.attr.iter().filter_map(|a| Some((a.name.as_str(), a.default_value.as_ref()?))).collect()))
        .collect();
    let fill = |nd: &mut proto::NodeDef| {
        if let Some(d) = defaults.get(nd.op.as_str()) {
            for (name, v) in d {
                nd.attr.entry(name.to_string()).or_insert_with(|| (*v).clone());
            }
        }
    };
    gd.node.iter_mut().for_each(fill);
    if let Some(lib) = gd.library.as_mut() {
        for f in lib.function.iter_mut() {
            f.node_def.iter_mut().for_each(fill);
        }
    }
}

/// The GraphDef of a meta graph, with attribute defaults restored.
pub fn graph_def(mg: &MetaGraphDef) -> GraphDef {
    let mut gd = mg.graph_def.clone().unwrap_or_default();
    if let Some(ops) = mg.meta_info_def.as_ref().and_then(|m| m.stripped_op_list.as_ref()) {
        fill_default_attrs(&mut gd, ops);
    }
    gd
}

/// One tensor of a SignatureDef (`None` for sparse and composite encodings).
pub(crate) fn tensor_spec(key: &str, t: &proto::TensorInfo, scope: Option<&str>) -> Option<SignatureTensor> {
    let name = match &t.encoding {
        Some(proto::tensor_info::Encoding::Name(n)) => n.clone(),
        _ => return None,
    };
    Some(SignatureTensor {
        key: key.to_string(),
        tensor: scoped(&name, scope),
        dtype: DType::from_tf(t.dtype),
        shape: t.tensor_shape.as_ref().and_then(|s| decode_shape(s).ok()).flatten(),
    })
}

/// The signatures of a meta graph (internal ones such as `__saved_model_init_op` left out),
/// tensor names under the import scope.
pub fn signatures(mg: &MetaGraphDef, scope: Option<&str>) -> Vec<SignatureInfo> {
    mg.signature_def
        .iter()
        .filter(|(k, _)| !k.starts_with("__"))
        .map(|(k, s)| SignatureInfo {
            key: k.clone(),
            method: s.method_name.clone(),
            inputs: s.inputs.iter().filter_map(|(k, t)| tensor_spec(k, t, scope)).collect(),
            outputs: s.outputs.iter().filter_map(|(k, t)| tensor_spec(k, t, scope)).collect(),
        })
        .collect()
}

/// Picks a signature: the one asked for (an error listing the others if missing), else
/// `serving_default` if there is one.
pub fn pick_signature<'a>(sigs: &'a [SignatureInfo], want: Option<&str>) -> Result<Option<&'a SignatureInfo>> {
    match want {
        Some(w) => sigs.iter().find(|s| s.key == w).map(Some).ok_or_else(|| {
            let have: Vec<&str> = sigs.iter().map(|s| s.key.as_str()).collect();
            Error::InvalidModel(format!(
                "no signature '{w}' (signatures: {})",
                if have.is_empty() { "none".to_string() } else { have.join(", ") }
            ))
        }),
        None => Ok(sigs.iter().find(|s| s.key == "serving_default")),
    }
}

/// Signature keys as names of tensors, for feeds and fetches.
pub fn aliases(sig: &SignatureInfo) -> Result<BTreeMap<String, TensorRef>> {
    let mut out = BTreeMap::new();
    for t in sig.inputs.iter().chain(&sig.outputs) {
        out.insert(t.key.clone(), TensorRef::parse(&t.tensor)?);
    }
    Ok(out)
}

/// The names of the saver's save and restore nodes (under the import scope).
pub fn saver_nodes(mg: &MetaGraphDef, scope: Option<&str>) -> Vec<String> {
    let Some(s) = &mg.saver_def else { return vec![] };
    [&s.save_tensor_name, &s.restore_op_name]
        .into_iter()
        .filter(|n| !n.is_empty())
        .filter_map(|n| TensorRef::parse(n).ok())
        .map(|r| scoped(&r.node, scope))
        .collect()
}

/// The graph of a meta graph, under the import scope.
pub fn graph(mg: &MetaGraphDef, scope: Option<&str>) -> Result<Graph> {
    Graph::from_graph_def(graph_def(mg), scope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::attr_value::Value;
    use crate::proto::{op_def::AttrDef, AttrValue, NodeDef, OpDef};

    #[test]
    fn stripped_defaults_come_back_without_overriding() {
        let ops = OpList {
            op: vec![OpDef {
                name: "MatMul".into(),
                attr: vec![
                    AttrDef { name: "transpose_a".into(), default_value: Some(AttrValue { value: Some(Value::B(false)) }), ..Default::default() },
                    AttrDef { name: "transpose_b".into(), default_value: Some(AttrValue { value: Some(Value::B(false)) }), ..Default::default() },
                    AttrDef { name: "T".into(), ..Default::default() },
                ],
                ..Default::default()
            }],
        };
        let mut nd = NodeDef { name: "m".into(), op: "MatMul".into(), ..Default::default() };
        nd.attr.insert("transpose_b".into(), AttrValue { value: Some(Value::B(true)) });
        let mut gd = GraphDef { node: vec![nd], ..Default::default() };
        fill_default_attrs(&mut gd, &ops);
        let a = &gd.node[0].attr;
        assert_eq!(a["transpose_a"].value, Some(Value::B(false)));
        assert_eq!(a["transpose_b"].value, Some(Value::B(true)));
        assert!(!a.contains_key("T"));
    }

    #[test]
    fn scoping_and_signature_choice() {
        assert_eq!(scoped("x", Some("m1/")), "m1/x");
        assert_eq!(scoped("x", None), "x");
        let s = |k: &str| SignatureInfo { key: k.into(), method: String::new(), inputs: vec![], outputs: vec![] };
        let sigs = vec![s("predict"), s("serving_default")];
        assert_eq!(pick_signature(&sigs, None).unwrap().unwrap().key, "serving_default");
        assert_eq!(pick_signature(&sigs, Some("predict")).unwrap().unwrap().key, "predict");
        let e = pick_signature(&sigs, Some("nope")).unwrap_err().to_string();
        assert!(e.contains("predict") && e.contains("serving_default"), "{e}");
        assert!(pick_signature(&sigs[..1], None).unwrap().is_none());
    }
}
