//! A zero `Pad` on H and W in front of a VALID NHWC convolution becomes its EXPLICIT padding.
use super::{drop_nodes, is_nhwc, uses, Values};
use crate::graph::Graph;
use crate::proto::attr_value::{ListValue, Value};
use crate::proto::AttrValue;

/// Pad(x, const) with zeros on H and W only, consumed only by a VALID NHWC convolution.
pub(super) fn fold_pads(g: &mut Graph, values: &Values) {
    let u = uses(g);
    let mut remove = Vec::new();
    for i in 0..g.nodes.len() {
        let n = &g.nodes[i];
        if n.op != "Pad" || n.inputs.len() != 2 {
            continue;
        }
        let Some(p) = values.get(&n.inputs[1]).and_then(|t| t.to_i64_vec().ok()) else { continue };
        if p.len() != 8 || p[0] != 0 || p[1] != 0 || p[6] != 0 || p[7] != 0 || p.iter().any(|&x| x < 0) {
            continue;
        }
        let Some((ci, slot)) = u.sole(&n.name) else { continue };
        let c = &g.nodes[ci];
        if slot != 0 || !matches!(c.op.as_str(), "Conv2D" | "DepthwiseConv2dNative") || !is_nhwc(c) {
            continue;
        }
        if c.attr_string("padding").ok().as_deref() != Some("VALID") {
            continue;
        }
        let x = n.inputs[0].clone();
        let name = n.name.clone();
        let c = &mut g.nodes[ci];
        c.inputs[0] = x;
        c.attrs.insert("padding".into(), AttrValue { value: Some(Value::S(b"EXPLICIT".to_vec())) });
        c.attrs.insert(
            "explicit_paddings".into(),
            AttrValue { value: Some(Value::List(ListValue { i: p.clone(), ..Default::default() })) },
        );
        remove.push(name);
    }
    drop_nodes(g, &remove);
}
