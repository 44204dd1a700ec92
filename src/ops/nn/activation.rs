//! The activations whose whole definition is a kernel code and host functions: one row each
//! (as `ops/math/elementwise.rs`). They share the unary and binary forms of `ops/math`, and are
//! fused into a preceding convolution or matrix product's epilogue at load where they follow
//! one (`lower/fuse/`).
use crate::error::Result;
use crate::graph::Node;
use crate::kernel::codes::{BinaryOp, UnaryOp};
use crate::ops::math::binary::Binary;
use crate::ops::math::unary::{no_params, Unary};
use crate::ops::Registry;

/// y = f(x).
pub const UNARY: &[(&str, Unary)] = &[
    ("Relu", Unary { code: UnaryOp::Relu, float: |x, _| if x.is_nan() { x } else { x.max(0.0) }, int: Some(|x| x.max(0)), params: no_params }),
    ("Relu6", Unary { code: UnaryOp::Relu6, float: |x, _| x.clamp(0.0, 6.0), int: Some(|x| x.clamp(0, 6)), params: no_params }),
    ("Sigmoid", Unary::float(UnaryOp::Sigmoid, |x, _| 1.0 / (1.0 + (-x).exp()))),
    ("Tanh", Unary::float(UnaryOp::Tanh, |x, _| x.tanh())),
    ("Elu", Unary::float(UnaryOp::Elu, |x, _| if x > 0.0 { x } else { x.exp_m1() })),
    // alpha: the attribute (default 0.2).
    ("LeakyRelu", Unary { code: UnaryOp::LeakyRelu, float: |x, p| if x > 0.0 { x } else { x * p[0] as f64 }, int: None, params: leaky_relu_alpha }),
    ("Softplus", Unary::float(UnaryOp::Softplus, |x, _| x.max(0.0) + (-x.abs()).exp().ln_1p())),
    ("Softsign", Unary::float(UnaryOp::Softsign, |x, _| x / (1.0 + x.abs()))),
    ("Selu", Unary::float(UnaryOp::Selu, |x, _| 1.0507009873554805 * if x > 0.0 { x } else { 1.6732632423543772 * x.exp_m1() })),
];

fn leaky_relu_alpha(node: &Node) -> Result<[f32; 2]> {
    Ok([node.attr_opt_float("alpha")?.unwrap_or(0.2), 0.0])
}

/// c = f(x, a) with NumPy broadcasting.
pub const BINARY: &[(&str, Binary)] = &[
    // TF.js, and Keras' PReLU as the TF.js converter writes it: x >= 0 ? x : alpha·x, alpha
    // broadcast against x (one slope per channel, usually).
    ("Prelu", Binary { code: BinaryOp::Prelu, float: |x, a| if x >= 0.0 || x.is_nan() { x } else { a * x }, int: None }),
];

/// Registers every row under `family`.
pub fn register(r: &mut Registry, family: &'static str) {
    for &(name, op) in UNARY {
        op.register(r, family, name);
    }
    for &(name, op) in BINARY {
        r.add(family, name, op);
    }
}
