//! Per-channel affine ops after a fused kernel: they fold into its scale and shift.
use super::chain::{Epilogue, Step};
use super::{is_nhwc, other};

/// `BiasAdd(chain, b)`.
pub(super) fn bias_add(st: &Step, e: &mut Epilogue) -> bool {
    if st.m.op != "BiasAdd" || st.slot != 0 || !is_nhwc(st.m) || e.residual.is_some() {
        return false;
    }
    shift(e, st.channels(st.m.inputs.get(1), e.c), 1.0)
}

/// `Add(chain, b)` / `AddV2` with a constant `b` (either side).
pub(super) fn add_constant(st: &Step, e: &mut Epilogue) -> bool {
    if !matches!(st.m.op.as_str(), "Add" | "AddV2") || e.residual.is_some() {
        return false;
    }
    shift(e, st.channels(other(st.m, st.slot), e.c), 1.0)
}

/// `Sub(chain, b)` with a constant `b`.
pub(super) fn sub_constant(st: &Step, e: &mut Epilogue) -> bool {
    if st.m.op != "Sub" || st.slot != 0 || e.residual.is_some() {
        return false;
    }
    shift(e, st.channels(st.m.inputs.get(1), e.c), -1.0)
}

/// `Mul(chain, k)` with a constant `k` (either side).
pub(super) fn mul_constant(st: &Step, e: &mut Epilogue) -> bool {
    if st.m.op != "Mul" || e.residual.is_some() {
        return false;
    }
    let Some(k) = st.channels(other(st.m, st.slot), e.c) else { return false };
    for j in 0..e.c {
        e.s[j] *= k[j];
        e.t[j] *= k[j];
    }
    true
}

/// An inference `FusedBatchNorm` (V2, V3) with constant parameters, only its output 0 read.
pub(super) fn batch_norm(st: &Step, e: &mut Epilogue) -> bool {
    let m = st.m;
    let inference = !m.attr_bool_or("is_training", true).unwrap_or(true);
    if !matches!(m.op.as_str(), "FusedBatchNorm" | "FusedBatchNormV2" | "FusedBatchNormV3") {
        return false;
    }
    if st.slot != 0 || !is_nhwc(m) || e.residual.is_some() || !inference {
        return false;
    }
    // Only output 0 of the batch norm may be consumed.
    if st.uses.by_node.get(&m.name).is_some_and(|v| v.len() > 1) {
        return false;
    }
    let Some(p) = (1..5).map(|k| st.channels(m.inputs.get(k), e.c)).collect::<Option<Vec<Vec<f32>>>>() else { return false };
    let eps = m.attr_opt_float("epsilon").ok().flatten().unwrap_or(1e-3);
    for j in 0..e.c {
        let k = p[0][j] / (p[3][j] + eps).sqrt();
        e.s[j] *= k;
        e.t[j] = (e.t[j] - p[2][j]) * k + p[1][j];
    }
    true
}

/// Adds `sign · b` to the shift, when `b` is a per-channel constant.
fn shift(e: &mut Epilogue, b: Option<Vec<f32>>, sign: f32) -> bool {
    let Some(b) = b else { return false };
    e.t.iter_mut().zip(&b).for_each(|(t, b)| *t += sign * b);
    true
}
