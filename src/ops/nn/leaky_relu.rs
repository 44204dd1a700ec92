//! LeakyRelu: y = x if x > 0 else alpha·x (attribute alpha, default 0.2), elementwise.
use crate::ops::math::unary::Unary;
use crate::graph::Node;
use crate::error::Result;
use crate::lower::codes::UnaryOp;

pub const OP: Unary = Unary { code: UnaryOp::LeakyRelu, float: |x, p| if x > 0.0 { x } else { x * p[0] as f64 }, int: None, params: params };

fn params(node: &Node) -> Result<[f32; 2]> {
    Ok([node.attr_opt_float("alpha")?.unwrap_or(0.2), 0.0])
}
