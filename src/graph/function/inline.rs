//! Inlining of function calls: a call's body is added to the graph under the call's name.
use std::collections::{BTreeMap, HashMap};

use super::{has_function, instantiate_at, ARG_OP, MAX_INLINED_NODES};
use crate::error::{Error, Result};
use crate::graph::{Graph, Node, TensorRef};
use crate::proto::{attr_value::Value, AttrValue};

/// Whether a node is a function call to inline: a (Stateful)PartitionedCall, or a node whose
/// op names a library function.
fn call_target(graph: &Graph, n: &Node) -> Result<Option<(String, BTreeMap<String, AttrValue>)>> {
    if matches!(n.op.as_str(), "PartitionedCall" | "StatefulPartitionedCall") {
        let f = n.attr_opt_func("f")?.ok_or_else(|| n.err("attribute 'f' (the function) is missing"))?;
        let attrs = f.attr.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        return Ok(Some((f.name.clone(), attrs)));
    }
    if has_function(graph, &n.op) {
        return Ok(Some((n.op.clone(), n.attrs.clone())));
    }
    Ok(None)
}

/// Inlines every function call of `graph` (nested calls too): the body's nodes are added under
/// `call_name/`, and the call node becomes an `IdentityN` of the body's outputs, so consumers
/// (`call:1`, `^call`) are unchanged. Returns the number of calls inlined.
pub fn inline_calls(graph: &mut Graph) -> Result<usize> {
    let lib = graph.clone_library();
    inline_in(&lib, graph, 0)
}

/// Inlines the calls of `g`, looking functions up in `lib`'s library.
pub(super) fn inline_in(lib: &Graph, g: &mut Graph, depth: usize) -> Result<usize> {
    let mut count = 0;
    let mut i = 0;
    // New nodes are appended; the loop reaches them too, but instantiated bodies are already
    // flat (their calls were inlined at depth + 1).
    while i < g.nodes.len() {
        let Some((fname, attrs)) = call_target(lib, &g.nodes[i])? else {
            i += 1;
            continue;
        };
        let call = g.nodes[i].clone();
        let f = instantiate_at(lib, &fname, &attrs, depth).map_err(|e| match e {
            Error::InvalidModel(m) => call.err(m),
            e => e,
        })?;
        if f.args.len() != call.inputs.len() {
            return Err(call.err(format!("function '{fname}' takes {} inputs, the call gives {}", f.args.len(), call.inputs.len())));
        }
        // A prefix that clashes with no existing node.
        let mut prefix = format!("{}/", call.name);
        let mut k = 1;
        while f.graph.nodes.iter().any(|n| n.op != ARG_OP && g.node(&format!("{prefix}{}", n.name)).is_some()) {
            prefix = format!("{}_inlined_{k}/", call.name);
            k += 1;
        }
        let args: HashMap<&str, usize> = f.args.iter().enumerate().map(|(i, a)| (a.as_str(), i)).collect();
        let map_ref = |r: &TensorRef| -> TensorRef {
            match args.get(r.node.as_str()) {
                Some(&a) => call.inputs[a].clone(),
                None => TensorRef::new(format!("{prefix}{}", r.node), r.index),
            }
        };
        let mut added = Vec::new();
        for n in f.graph.nodes.iter().filter(|n| n.op != ARG_OP) {
            let mut m = n.clone();
            m.name = format!("{prefix}{}", n.name);
            m.inputs = n.inputs.iter().map(map_ref).collect();
            let mut controls: Vec<String> = Vec::new();
            for c in &n.controls {
                match args.get(c.as_str()) {
                    Some(&a) => controls.push(call.inputs[a].node.clone()),
                    None => controls.push(format!("{prefix}{c}")),
                }
            }
            // Nodes with no inputs run when the call runs.
            if m.inputs.is_empty() && controls.is_empty() {
                controls.extend(call.controls.iter().cloned());
            }
            m.controls = controls;
            added.push(m);
        }
        let rets: Vec<TensorRef> = f.rets.iter().map(map_ref).collect();
        let mut attrs = BTreeMap::new();
        attrs.insert("_wgtf_inlined".to_string(), AttrValue { value: Some(Value::S(fname.clone().into_bytes())) });
        g.nodes[i] = Node {
            name: call.name.clone(),
            op: "IdentityN".into(),
            inputs: rets,
            controls: call.controls.clone(),
            attrs,
            device: call.device.clone(),
        };
        if g.nodes.len() + added.len() > MAX_INLINED_NODES {
            return Err(call.err(format!("inlining '{fname}' makes the graph larger than {MAX_INLINED_NODES} nodes")));
        }
        for m in added {
            g.push(m)?;
        }
        count += 1;
        i += 1;
    }
    if count > 0 {
        g.reindex()?;
    }
    Ok(count)
}

impl Graph {
    /// A graph holding only this graph's function library (to look functions up while the
    /// graph itself is edited).
    fn clone_library(&self) -> Graph {
        Graph { library: self.library.clone(), functions: self.functions.clone(), ..Default::default() }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::function::testing::{fdef, graph_with, nd};
    use crate::proto::NameAttrList;

    #[test]
    fn calls_are_inlined_recursively_and_bounded() {
        let inner = fdef("inner", &["a"], &[("r", "n:y:0")], vec![nd("n", "Relu", &["a"])]);
        let outer = fdef("outer", &["a"], &[("r", "c:r:0")], vec![nd("c", "inner", &["a"])]);
        let mut call = nd("call", "StatefulPartitionedCall", &["x"]);
        call.attr.insert("f".into(), AttrValue { value: Some(Value::Func(NameAttrList { name: "outer".into(), attr: Default::default() })) });
        let mut g = graph_with(vec![inner, outer], vec![nd("x", "Placeholder", &[]), call, nd("out", "Identity", &["call"])]);
        assert_eq!(inline_calls(&mut g).unwrap(), 1);
        g.check_inputs().unwrap();
        let c = g.node("call").unwrap();
        assert_eq!(c.op, "IdentityN");
        // The nested call became an IdentityN of its body's output too.
        assert_eq!(c.inputs, [TensorRef::new("call/c", 0)]);
        assert_eq!(g.node("call/c").unwrap().inputs, [TensorRef::new("call/c/n", 0)]);
        assert_eq!(g.node("call/c/n").unwrap().inputs, [TensorRef::new("x", 0)]);

        // A function that calls itself is an error, not a stack overflow.
        let rec = fdef("rec", &["a"], &[("r", "c:r:0")], vec![nd("c", "rec", &["a"])]);
        let mut g = graph_with(vec![rec], vec![nd("x", "Placeholder", &[]), nd("call", "rec", &["x"])]);
        let e = inline_calls(&mut g).unwrap_err().to_string();
        assert!(e.contains("nest deeper"), "{e}");
    }
}
