//! A `FunctionDef` in graph form: its arguments become `_Arg` nodes, `$placeholder` attributes
//! take the call's values, and `node:output_arg:index` references become `node:N`.
use std::collections::{BTreeMap, HashMap};

use super::outputs::output_offset;
use super::{ferr, Function, ARG_OP};
use crate::error::Result;
use crate::graph::{Graph, Node, TensorRef};
use crate::proto::{self, attr_value::Value, AttrValue};
use crate::tensor::DType;

/// Substitutes `$placeholder` attributes; `defaults` are the signature's attribute defaults.
fn resolve_attr(
    fname: &str,
    v: &AttrValue,
    call: &BTreeMap<String, AttrValue>,
    defaults: &HashMap<String, AttrValue>,
) -> Result<AttrValue> {
    match &v.value {
        Some(Value::Placeholder(p)) => call
            .get(p)
            .or_else(|| defaults.get(p))
            .cloned()
            .ok_or_else(|| ferr(fname, format!("attribute placeholder '${p}' has no value at the call"))),
        _ => Ok(v.clone()),
    }
}

/// How many tensors an argument stands for.
pub(super) fn arg_count(fname: &str, a: &proto::op_def::ArgDef, attrs: &BTreeMap<String, AttrValue>) -> Result<usize> {
    if !a.number_attr.is_empty() {
        return match attrs.get(&a.number_attr).and_then(|v| v.value.as_ref()) {
            Some(Value::I(n)) if *n >= 0 => Ok(*n as usize),
            _ => Err(ferr(fname, format!("argument '{}': list length '{}' is unknown", a.name, a.number_attr))),
        };
    }
    if !a.type_list_attr.is_empty() {
        return match attrs.get(&a.type_list_attr).and_then(|v| v.value.as_ref()) {
            Some(Value::List(l)) => Ok(l.r#type.len()),
            _ => Err(ferr(fname, format!("argument '{}': type list '{}' is unknown", a.name, a.type_list_attr))),
        };
    }
    Ok(1)
}

fn arg_dtype(a: &proto::op_def::ArgDef, attrs: &BTreeMap<String, AttrValue>, k: usize) -> Option<DType> {
    if a.r#type != 0 {
        return DType::from_tf(a.r#type);
    }
    if !a.type_attr.is_empty() {
        if let Some(Value::Type(t)) = attrs.get(&a.type_attr).and_then(|v| v.value.as_ref()) {
            return DType::from_tf(*t);
        }
    }
    if !a.type_list_attr.is_empty() {
        if let Some(Value::List(l)) = attrs.get(&a.type_list_attr).and_then(|v| v.value.as_ref()) {
            return l.r#type.get(k).and_then(|&t| DType::from_tf(t));
        }
    }
    None
}

/// Converts a FunctionDef to graph form with the call's attributes.
pub(super) fn from_def(graph: &Graph, def: &proto::FunctionDef, call: &BTreeMap<String, AttrValue>) -> Result<Function> {
    let sig = def.signature.clone().unwrap_or_default();
    let fname = sig.name.clone();
    let defaults: HashMap<String, AttrValue> =
        sig.attr.iter().filter_map(|a| Some((a.name.clone(), a.default_value.clone()?))).collect();
    // The signature's attributes, resolved: the call's values, else the defaults.
    let mut sattrs: BTreeMap<String, AttrValue> = BTreeMap::new();
    for a in &sig.attr {
        if let Some(v) = call.get(&a.name).or_else(|| defaults.get(&a.name)) {
            sattrs.insert(a.name.clone(), v.clone());
        }
    }

    let mut g = Graph { library: None, versions: None, ..Default::default() };
    // Arguments: one `_Arg` node per tensor; list arguments get `name/k` nodes.
    let mut arg_nodes: HashMap<String, Vec<String>> = HashMap::new();
    let mut args = Vec::new();
    let mut arg_dtypes = Vec::new();
    for a in &sig.input_arg {
        let n = arg_count(&fname, a, &sattrs)?;
        let single = a.number_attr.is_empty() && a.type_list_attr.is_empty();
        let mut names = Vec::with_capacity(n);
        for k in 0..n {
            let nm = if single { a.name.clone() } else { format!("{}/{k}", a.name) };
            let dt = arg_dtype(a, &sattrs, k);
            let mut attrs = BTreeMap::new();
            attrs.insert("index".to_string(), AttrValue { value: Some(Value::I(args.len() as i64)) });
            if let Some(dt) = dt {
                attrs.insert("T".to_string(), AttrValue { value: Some(Value::Type(dt.to_tf())) });
            }
            g.push(Node { name: nm.clone(), op: ARG_OP.into(), inputs: vec![], controls: vec![], attrs, device: String::new() })
                .map_err(|e| ferr(&fname, e))?;
            args.push(nm.clone());
            arg_dtypes.push(dt);
            names.push(nm);
        }
        arg_nodes.insert(a.name.clone(), names);
    }

    // Nodes, with their attributes resolved (needed to count list outputs).
    let mut resolved: Vec<(proto::NodeDef, BTreeMap<String, AttrValue>)> = Vec::with_capacity(def.node_def.len());
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for (i, nd) in def.node_def.iter().enumerate() {
        let mut attrs = BTreeMap::new();
        for (k, v) in &nd.attr {
            attrs.insert(k.clone(), resolve_attr(&fname, v, call, &defaults)?);
        }
        if arg_nodes.contains_key(&nd.name) {
            return Err(ferr(&fname, format!("node '{}' has the name of an argument", nd.name)));
        }
        if by_name.insert(nd.name.as_str(), i).is_some() {
            return Err(ferr(&fname, format!("two nodes are named '{}'", nd.name)));
        }
        resolved.push((nd.clone(), attrs));
    }

    // One input reference of a FunctionDef node (or a `ret` value) in graph form.
    let parse_ref = |s: &str, who: &str| -> Result<TensorRef> {
        let parts: Vec<&str> = s.split(':').collect();
        let bad = || ferr(&fname, format!("{who}: malformed reference '{s}'"));
        match parts.as_slice() {
            [a] => match arg_nodes.get(*a) {
                Some(v) if !v.is_empty() => Ok(TensorRef::new(v[0].clone(), 0)),
                Some(_) => Err(bad()),
                None => Ok(TensorRef::new(*a, 0)),
            },
            [a, k] => {
                let k: usize = k.parse().map_err(|_| bad())?;
                match arg_nodes.get(*a) {
                    Some(v) => v.get(k).map(|n| TensorRef::new(n.clone(), 0)).ok_or_else(bad),
                    None => Ok(TensorRef::new(*a, k)),
                }
            }
            [node, out, k] => {
                let k: usize = k.parse().map_err(|_| bad())?;
                let &i = by_name
                    .get(node)
                    .ok_or_else(|| ferr(&fname, format!("{who}: '{s}' names no node of the function")))?;
                let (nd, attrs) = &resolved[i];
                let base = output_offset(graph, &nd.op, out, attrs)
                    .map_err(|m| ferr(&fname, format!("{who}: '{s}': {m}")))?;
                Ok(TensorRef::new(*node, base + k))
            }
            _ => Err(bad()),
        }
    };

    for (nd, attrs) in &resolved {
        let mut inputs = Vec::new();
        let mut controls = Vec::new();
        for inp in &nd.input {
            if let Some(c) = inp.strip_prefix('^') {
                match arg_nodes.get(c) {
                    Some(v) => controls.extend(v.iter().cloned()),
                    None => controls.push(c.to_string()),
                }
            } else {
                inputs.push(parse_ref(inp, &format!("node '{}'", nd.name))?);
            }
        }
        g.push(Node { name: nd.name.clone(), op: nd.op.clone(), inputs, controls, attrs: attrs.clone(), device: nd.device.clone() })
            .map_err(|e| ferr(&fname, e))?;
    }

    let mut rets = Vec::new();
    let mut ret_names = Vec::new();
    for a in &sig.output_arg {
        let n = arg_count(&fname, a, &sattrs)?;
        let v = def.ret.get(&a.name).ok_or_else(|| ferr(&fname, format!("output '{}' has no ret value", a.name)))?;
        let r = parse_ref(v, &format!("output '{}'", a.name))?;
        for k in 0..n {
            rets.push(TensorRef::new(r.node.clone(), r.index + k));
            ret_names.push(if n == 1 { a.name.clone() } else { format!("{}/{k}", a.name) });
        }
    }
    // Every reference must name a node of the function.
    for n in &g.nodes {
        for r in &n.inputs {
            if g.node(&r.node).is_none() {
                return Err(ferr(&fname, format!("node '{}': input '{r}' names no node or argument", n.name)));
            }
        }
    }
    for n in g.nodes.iter_mut() {
        let keep: Vec<String> = n.controls.drain(..).collect();
        n.controls = keep.into_iter().filter(|c| by_name.contains_key(c.as_str()) || arg_nodes.values().flatten().any(|a| a == c)).collect();
    }
    for r in &rets {
        if g.node(&r.node).is_none() {
            return Err(ferr(&fname, format!("output '{r}' names no node or argument")));
        }
    }
    Ok(Function { name: fname, graph: g, args, arg_dtypes, rets, ret_names })
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::function::instantiate;
    use crate::graph::function::testing::{fdef, graph_with, nd};

    #[test]
    fn function_refs_become_graph_refs() {
        let f = fdef(
            "f",
            &["x", "y"],
            &[("out", "sw:output_true:0"), ("idx", "m:value_index:0")],
            vec![nd("sw", "Switch", &["x", "y"]), nd("m", "Merge", &["sw:output_false:0", "sw:output_true:0"])],
        );
        let g = graph_with(vec![f], vec![]);
        let f = instantiate(&g, "f", &BTreeMap::new()).unwrap();
        assert_eq!(f.args, ["x", "y"]);
        assert_eq!(f.rets, [TensorRef::new("sw", 1), TensorRef::new("m", 1)]);
        let m = f.graph.node("m").unwrap();
        assert_eq!(m.inputs, [TensorRef::new("sw", 0), TensorRef::new("sw", 1)]);
    }

    #[test]
    fn attribute_placeholders_take_the_call_values() {
        let mut f = fdef("f", &["x"], &[("r", "c:y:0")], vec![nd("c", "Cast", &["x"])]);
        let ph = AttrValue { value: Some(Value::Placeholder("DstT".into())) };
        f.node_def[0].attr.insert("DstT".into(), ph);
        f.signature.as_mut().unwrap().attr.push(proto::op_def::AttrDef { name: "DstT".into(), r#type: "type".into(), ..Default::default() });
        let g = graph_with(vec![f], vec![]);
        let mut attrs = BTreeMap::new();
        attrs.insert("DstT".to_string(), AttrValue { value: Some(Value::Type(DType::I32.to_tf())) });
        let body = instantiate(&g, "f", &attrs).unwrap();
        assert_eq!(body.graph.node("c").unwrap().attr_dtype("DstT").unwrap(), DType::I32);
        // Without a value (and no default) the placeholder is an error naming it.
        let e = instantiate(&g, "f", &BTreeMap::new()).unwrap_err().to_string();
        assert!(e.contains("$DstT"), "{e}");
    }

    #[test]
    fn bad_references_are_errors() {
        let f = fdef("f", &["x"], &[("r", "nope:y:0")], vec![]);
        let g = graph_with(vec![f], vec![]);
        assert!(instantiate(&g, "f", &BTreeMap::new()).is_err());
        assert!(instantiate(&g, "missing", &BTreeMap::new()).is_err());
    }
}
