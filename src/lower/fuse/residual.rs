//! A residual add: `AddV2(chain, r)` where `r` is another (not constant) tensor of the output's
//! shape joins a convolution's epilogue as `fused_ops = ["BiasAdd", "Add", …]`.
use super::chain::{Epilogue, Step};
use super::other;

pub(super) fn residual_add(st: &Step, e: &mut Epilogue) -> bool {
    if !matches!(st.m.op.as_str(), "Add" | "AddV2") || e.residual.is_some() || st.fused_op == "_FusedMatMul" {
        return false;
    }
    let Some(o) = other(st.m, st.slot) else { return false };
    // Not produced inside the chain, nor by a node an earlier chain removed.
    let in_chain = st.chain.iter().any(|&k| st.g.nodes[k].name == o.node);
    if st.values.contains_key(o) || in_chain || st.removed.contains(&o.node) {
        return false;
    }
    e.residual = Some(o.clone());
    true
}
