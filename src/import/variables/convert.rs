//! The rewrite of variables into constants (TensorFlow's `convert_variables_to_constants`),
//! and host tensors encoded as the `TensorProto` a `Const` holds.
use std::collections::{BTreeMap, HashMap, HashSet};

use crate::error::Result;
use crate::graph::{Graph, Node, TensorRef};
use crate::proto::{attr_value::Value, AttrValue, TensorProto};
use crate::tensor::{DType, Data, Tensor};

/// Encodes a host tensor as a TensorProto (little-endian `tensor_content`).
pub fn encode_tensor(t: &Tensor) -> TensorProto {
    let shape = crate::import::checkpoint::shape_proto(t.shape());
    let mut p = TensorProto { dtype: t.dtype().to_tf(), tensor_shape: Some(shape), ..Default::default() };
    let mut b = Vec::new();
    match (t.data(), t.dtype()) {
        (Data::F32(v), DType::F16) => v.iter().for_each(|x| b.extend(half::f16::from_f32(*x).to_le_bytes())),
        (Data::F32(v), DType::BF16) => v.iter().for_each(|x| b.extend(half::bf16::from_f32(*x).to_le_bytes())),
        (Data::F32(v), _) => v.iter().for_each(|x| b.extend(x.to_le_bytes())),
        (Data::F64(v), _) => v.iter().for_each(|x| b.extend(x.to_le_bytes())),
        (Data::I32(v), DType::I8 | DType::U8) => v.iter().for_each(|x| b.push(*x as u8)),
        (Data::I32(v), DType::I16 | DType::U16) => v.iter().for_each(|x| b.extend((*x as u16).to_le_bytes())),
        (Data::I32(v), _) => v.iter().for_each(|x| b.extend(x.to_le_bytes())),
        (Data::I64(v), DType::U32) => v.iter().for_each(|x| b.extend((*x as u32).to_le_bytes())),
        (Data::I64(v), _) => v.iter().for_each(|x| b.extend(x.to_le_bytes())),
        (Data::Bool(v), _) => b.extend(v.iter().map(|&x| x as u8)),
        (Data::Str(v), _) => p.string_val = v.clone(),
    }
    p.tensor_content = b;
    p
}
fn type_attr(t: i32) -> AttrValue {
    AttrValue { value: Some(Value::Type(t)) }
}

/// Replaces variables by constants (TensorFlow's `convert_variables_to_constants` rewrite).
pub fn convert_to_constants(g: &mut Graph, values: Vec<(String, TensorProto)>) -> Result<()> {
    let mut consumers: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for (i, n) in g.nodes.iter().enumerate() {
        for (k, r) in n.inputs.iter().enumerate() {
            consumers.entry(r.node.clone()).or_default().push((i, k));
        }
    }
    let mut added: Vec<Node> = Vec::new();
    // Loops and conditionals that take a converted variable: (node, input, dtype, shape).
    let mut captured: Vec<(usize, usize, i32, Option<crate::proto::TensorShapeProto>)> = Vec::new();
    for (name, value) in values {
        let Some(vi) = g.node_index(&name) else { continue };
        let dtype = value.dtype;
        let value_shape = value.tensor_shape.clone();
        let var = &mut g.nodes[vi];
        let mut attrs = BTreeMap::new();
        attrs.insert("dtype".to_string(), type_attr(dtype));
        attrs.insert("value".to_string(), AttrValue { value: Some(Value::Tensor(value)) });
        *var = Node { name: var.name.clone(), op: "Const".into(), inputs: vec![], controls: vec![], attrs, device: String::new() };
        // Downstream: reads become plain ops; Identity-like nodes pass the handle on.
        let mut todo: Vec<String> = vec![name.clone()];
        let mut seen = HashSet::new();
        while let Some(src) = todo.pop() {
            if !seen.insert(src.clone()) {
                continue;
            }
            for &(ci, k) in consumers.get(&src).map(|v| v.as_slice()).unwrap_or(&[]) {
                let c = &mut g.nodes[ci];
                match c.op.as_str() {
                    "ReadVariableOp" => {
                        let mut attrs = BTreeMap::new();
                        attrs.insert("T".to_string(), type_attr(dtype));
                        if let Some(cls) = c.attrs.get("_class") {
                            attrs.insert("_class".to_string(), cls.clone());
                        }
                        c.op = "Identity".into();
                        c.inputs.truncate(1);
                        c.controls.clear();
                        c.attrs = attrs;
                    }
                    "ResourceGather" if k == 0 => {
                        if c.attr_opt_int("batch_dims")?.unwrap_or(0) != 0 {
                            return Err(c.err("batch_dims must be 0 to turn a ResourceGather into a GatherV2"));
                        }
                        let tindices = c.attrs.get("Tindices").cloned().unwrap_or_else(|| type_attr(DType::I32.to_tf()));
                        let it = match tindices.value {
                            Some(Value::Type(t)) => t,
                            _ => DType::I32.to_tf(),
                        };
                        let axis_name = format!("{}/axis", c.name);
                        let axis = Tensor::new(
                            DType::from_tf(it).unwrap_or(DType::I32),
                            vec![],
                            if it == DType::I64.to_tf() { Data::I64(vec![0]) } else { Data::I32(vec![0]) },
                        )?;
                        let mut aattrs = BTreeMap::new();
                        aattrs.insert("dtype".to_string(), tindices.clone());
                        aattrs.insert("value".to_string(), AttrValue { value: Some(Value::Tensor(encode_tensor(&axis))) });
                        added.push(Node { name: axis_name.clone(), op: "Const".into(), inputs: vec![], controls: vec![], attrs: aattrs, device: String::new() });
                        let mut attrs = BTreeMap::new();
                        attrs.insert("Tparams".to_string(), type_attr(dtype));
                        attrs.insert("Tindices".to_string(), tindices.clone());
                        attrs.insert("Taxis".to_string(), tindices);
                        if let Some(cls) = c.attrs.get("_class") {
                            attrs.insert("_class".to_string(), cls.clone());
                        }
                        c.op = "GatherV2".into();
                        c.inputs.truncate(2);
                        c.inputs.push(TensorRef::new(axis_name, 0));
                        c.controls.clear();
                        c.attrs = attrs;
                    }
                    "ResourceGatherNd" if k == 0 => {
                        let mut attrs = BTreeMap::new();
                        attrs.insert("Tparams".to_string(), type_attr(dtype));
                        if let Some(t) = c.attrs.get("Tindices") {
                            attrs.insert("Tindices".to_string(), t.clone());
                        }
                        c.op = "GatherNd".into();
                        c.inputs.truncate(2);
                        c.controls.clear();
                        c.attrs = attrs;
                    }
                    "While" | "StatelessWhile" | "If" | "StatelessIf" => {
                        let shape = value_shape.clone();
                        captured.push((ci, k, dtype, shape));
                    }
                    "Identity" | "Enter" | "Exit" | "NextIteration" | "Switch" | "_SwitchN" | "Merge" => {
                        let idx = if c.op == "Merge" { 0 } else { k };
                        if let Some(a) = c.attrs.get_mut("T") {
                            match &mut a.value {
                                Some(Value::Type(t)) if idx == 0 => *t = dtype,
                                Some(Value::List(l)) if idx < l.r#type.len() => l.r#type[idx] = dtype,
                                _ => {}
                            }
                        }
                        c.attrs.remove("_output_shapes");
                        todo.push(c.name.clone());
                    }
                    _ => {}
                }
            }
        }
    }
    for n in added {
        if g.node(&n.name).is_none() {
            g.push(n)?;
        }
    }
    for (ni, k, dtype, shape) in captured {
        convert_captured(g, ni, k, dtype, shape)?;
    }
    Ok(())
}

/// A loop or conditional whose input `k` was a resource variable and is now its value: its
/// body functions get a copy where that argument is the value (reads of it become Identity),
/// and the node's type (and shape) lists follow.
fn convert_captured(g: &mut Graph, ni: usize, k: usize, dtype: i32, shape: Option<crate::proto::TensorShapeProto>) -> Result<()> {
    use crate::proto::attr_value::ListValue;
    let node = g.nodes[ni].clone();
    let is_while = node.op.ends_with("While");
    // While: input k is argument k of cond and body (and output k of body). If: input 0 is the
    // condition, input k is argument k - 1 of both branches.
    let (arg, types_attr, funcs): (usize, &str, [&str; 2]) = if is_while {
        (k, "T", ["cond", "body"])
    } else if k > 0 {
        (k - 1, "Tin", ["then_branch", "else_branch"])
    } else {
        return Ok(());
    };
    match g.nodes[ni].attrs.get_mut(types_attr).and_then(|a| a.value.as_mut()) {
        Some(Value::List(l)) if arg < l.r#type.len() => {
            if l.r#type[arg] != DType::Resource.to_tf() {
                return Ok(());
            }
            l.r#type[arg] = dtype;
        }
        _ => return Err(node.err(format!("attribute '{types_attr}' does not list input {k}"))),
    }
    if is_while {
        for a in ["output_shapes", "_output_shapes"] {
            if let Some(Value::List(ListValue { shape: shapes, .. })) = g.nodes[ni].attrs.get_mut(a).and_then(|a| a.value.as_mut()) {
                if let (Some(s), Some(v)) = (shapes.get_mut(arg), shape.clone()) {
                    *s = v;
                }
            }
        }
    }
    let Some(lib) = g.library.as_mut() else { return Err(node.err("its functions are not in the graph's library")) };
    for attr in funcs {
        let Some(Value::Func(f)) = g.nodes[ni].attrs.get(attr).and_then(|a| a.value.clone()) else { continue };
        let Some(def) = lib.function.iter().find(|d| d.signature.as_ref().is_some_and(|s| s.name == f.name)).cloned() else {
            return Err(node.err(format!("function '{}' is not in the library", f.name)));
        };
        let new_name = format!("{}_wgtf_{}_{}", f.name, node.name.replace('/', "_"), arg);
        let mut def = def;
        let sig = def.signature.as_mut().expect("found by its signature");
        sig.name = new_name.clone();
        let Some(a) = sig.input_arg.get_mut(arg) else { return Err(node.err(format!("'{}' has no argument {arg}", f.name))) };
        a.r#type = dtype;
        a.type_attr.clear();
        let arg_name = a.name.clone();
        if is_while && attr == "body" {
            if let Some(o) = sig.output_arg.get_mut(arg) {
                o.r#type = dtype;
                o.type_attr.clear();
            }
        }
        // Reads of the argument become Identity; references to their `value` output follow.
        let mut reads = HashSet::new();
        for nd in def.node_def.iter_mut() {
            if nd.op == "ReadVariableOp" && nd.input.first().is_some_and(|i| *i == arg_name) {
                nd.op = "Identity".into();
                nd.input.truncate(1);
                nd.attr.clear();
                nd.attr.insert("T".into(), type_attr(dtype));
                reads.insert(nd.name.clone());
            }
        }
        for nd in def.node_def.iter_mut() {
            for i in nd.input.iter_mut() {
                if let Some((n, rest)) = i.split_once(':') {
                    if reads.contains(n) && rest.starts_with("value:") {
                        *i = format!("{n}:output:{}", &rest["value:".len()..]);
                    }
                }
            }
        }
        for v in def.ret.values_mut() {
            if let Some((n, rest)) = v.split_once(':') {
                if reads.contains(n) && rest.starts_with("value:") {
                    *v = format!("{n}:output:{}", &rest["value:".len()..]);
                }
            }
        }
        if !lib.function.iter().any(|d| d.signature.as_ref().is_some_and(|s| s.name == new_name)) {
            lib.function.push(def);
        }
        let renamed = crate::proto::NameAttrList { name: new_name, attr: f.attr.clone() };
        g.nodes[ni].attrs.insert(attr.to_string(), AttrValue { value: Some(Value::Func(renamed)) });
    }
    Ok(())
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::variables::testing::nd;
    use crate::proto;

    #[test]
    fn resource_reads_and_gathers_become_plain_ops() {
        let f = DType::F32.to_tf();
        let gd = proto::GraphDef {
            node: vec![
                nd("v", "VarHandleOp", &[], vec![("dtype", Value::Type(f))]),
                nd("ids", "Placeholder", &[], vec![]),
                nd("r", "ReadVariableOp", &["v", "^ids"], vec![("dtype", Value::Type(f))]),
                nd("h", "Identity", &["v"], vec![("T", Value::Type(DType::Resource.to_tf()))]),
                nd("g", "ResourceGather", &["h", "ids"], vec![("dtype", Value::Type(f)), ("Tindices", Value::Type(DType::I32.to_tf()))]),
            ],
            ..Default::default()
        };
        let mut g = Graph::from_graph_def(gd, None).unwrap();
        let t = Tensor::from_f32(vec![2], vec![1.0, 2.0]).unwrap();
        convert_to_constants(&mut g, vec![("v".into(), encode_tensor(&t))]).unwrap();
        g.check_inputs().unwrap();
        assert_eq!(g.node("v").unwrap().op, "Const");
        assert_eq!(g.node("v").unwrap().attr_tensor("value").unwrap().as_f32().unwrap(), &[1.0, 2.0]);
        let r = g.node("r").unwrap();
        assert_eq!((r.op.as_str(), r.controls.len()), ("Identity", 0));
        assert_eq!(g.node("h").unwrap().attr_dtype("T").unwrap(), DType::F32);
        let gn = g.node("g").unwrap();
        assert_eq!(gn.op, "GatherV2");
        assert_eq!(gn.inputs[2], TensorRef::new("g/axis", 0));
        assert_eq!(g.node("g/axis").unwrap().attr_tensor("value").unwrap().to_i64_vec().unwrap(), vec![0]);
    }
}
