//! Where an output argument of an op starts among the op's outputs: a table of the ops with
//! several output arguments, or the signature of a called function.
use std::collections::BTreeMap;

use super::body::arg_count;
use super::find_def;
use crate::graph::Graph;
use crate::proto::{attr_value::Value, AttrValue};

/// How an op's output argument counts its tensors.
#[derive(Clone, Copy)]
enum Count {
    One,
    Attr(&'static str),
}
use Count::{Attr, One};

/// Ops with more than one output argument: (op, [(output arg, count)]). Ops not listed have a
/// single output argument, so `node:anything:k` is output k.
const MULTI_OUTPUT: &[(&str, &[(&str, Count)])] = &[
    ("Switch", &[("output_false", One), ("output_true", One)]),
    ("RefSwitch", &[("output_false", One), ("output_true", One)]),
    ("Merge", &[("output", One), ("value_index", One)]),
    ("RefMerge", &[("output", One), ("value_index", One)]),
    ("FusedBatchNorm", &[("y", One), ("batch_mean", One), ("batch_variance", One), ("reserve_space_1", One), ("reserve_space_2", One)]),
    ("FusedBatchNormV2", &[("y", One), ("batch_mean", One), ("batch_variance", One), ("reserve_space_1", One), ("reserve_space_2", One)]),
    ("FusedBatchNormV3", &[("y", One), ("batch_mean", One), ("batch_variance", One), ("reserve_space_1", One), ("reserve_space_2", One), ("reserve_space_3", One)]),
    ("_FusedBatchNormEx", &[("y", One), ("batch_mean", One), ("batch_variance", One), ("reserve_space_1", One), ("reserve_space_2", One), ("reserve_space_3", One)]),
    ("Unique", &[("y", One), ("idx", One)]),
    ("UniqueV2", &[("y", One), ("idx", One)]),
    ("UniqueWithCounts", &[("y", One), ("idx", One), ("count", One)]),
    ("UniqueWithCountsV2", &[("y", One), ("idx", One), ("count", One)]),
    ("TopK", &[("values", One), ("indices", One)]),
    ("TopKV2", &[("values", One), ("indices", One)]),
    ("ApproxTopK", &[("values", One), ("indices", One)]),
    ("TensorListPopBack", &[("output_handle", One), ("tensor", One)]),
    ("TensorListConcat", &[("tensor", One), ("lengths", One)]),
    ("TensorListConcatV2", &[("tensor", One), ("lengths", One)]),
    ("TensorArrayV3", &[("handle", One), ("flow", One)]),
    ("TensorArrayGradV3", &[("grad_handle", One), ("flow_out", One)]),
    ("TensorArrayGradWithShape", &[("grad_handle", One), ("flow_out", One)]),
    ("TensorArrayConcatV3", &[("value", One), ("lengths", One)]),
    ("MaxPoolWithArgmax", &[("output", One), ("argmax", One)]),
    ("NonMaxSuppressionV4", &[("selected_indices", One), ("valid_outputs", One)]),
    ("NonMaxSuppressionV5", &[("selected_indices", One), ("selected_scores", One), ("valid_outputs", One)]),
    ("CombinedNonMaxSuppression", &[("nmsed_boxes", One), ("nmsed_scores", One), ("nmsed_classes", One), ("valid_detections", One)]),
    ("BroadcastGradientArgs", &[("r0", One), ("r1", One)]),
    ("Svd", &[("s", One), ("u", One), ("v", One)]),
    ("Qr", &[("q", One), ("r", One)]),
    ("SelfAdjointEigV2", &[("e", One), ("v", One)]),
    ("Eig", &[("e", One), ("v", One)]),
    ("Lu", &[("lu", One), ("p", One)]),
    ("LSTMBlockCell", &[("i", One), ("cs", One), ("f", One), ("o", One), ("ci", One), ("co", One), ("h", One)]),
    ("BlockLSTM", &[("i", One), ("cs", One), ("f", One), ("o", One), ("ci", One), ("co", One), ("h", One)]),
    ("BlockLSTMV2", &[("i", One), ("cs", One), ("f", One), ("o", One), ("ci", One), ("co", One), ("h", One)]),
    ("GRUBlockCell", &[("r", One), ("u", One), ("c", One), ("h", One)]),
    ("CudnnRNN", &[("output", One), ("output_h", One), ("output_c", One), ("reserve_space", One)]),
    ("CudnnRNNV2", &[("output", One), ("output_h", One), ("output_c", One), ("reserve_space", One), ("host_reserved", One)]),
    ("CudnnRNNV3", &[("output", One), ("output_h", One), ("output_c", One), ("reserve_space", One), ("host_reserved", One)]),
    ("QuantizeV2", &[("output", One), ("output_min", One), ("output_max", One)]),
    ("SparseFillEmptyRows", &[("output_indices", One), ("output_values", One), ("empty_row_indicator", One), ("reverse_index_map", One)]),
    ("SparseReshape", &[("output_indices", One), ("output_shape", One)]),
    ("CTCGreedyDecoder", &[("decoded_indices", One), ("decoded_values", One), ("decoded_shape", One), ("log_probability", One)]),
    ("CTCBeamSearchDecoder", &[("decoded_indices", Attr("top_paths")), ("decoded_values", Attr("top_paths")), ("decoded_shape", Attr("top_paths")), ("log_probability", One)]),
    ("SparseSplit", &[("output_indices", Attr("num_split")), ("output_values", Attr("num_split")), ("output_shape", Attr("num_split"))]),
    ("StringSplit", &[("indices", One), ("values", One), ("shape", One)]),
    ("StringSplitV2", &[("indices", One), ("values", One), ("shape", One)]),
];

/// The position of output argument `out` among the outputs of a node of `op`.
pub(super) fn output_offset(graph: &Graph, op: &str, out: &str, attrs: &BTreeMap<String, AttrValue>) -> std::result::Result<usize, String> {
    if let Some((_, args)) = MULTI_OUTPUT.iter().find(|(o, _)| *o == op) {
        let mut off = 0;
        for (name, c) in args.iter() {
            if *name == out {
                return Ok(off);
            }
            off += match c {
                One => 1,
                Attr(a) => match attrs.get(*a).and_then(|v| v.value.as_ref()) {
                    Some(Value::I(n)) if *n >= 0 => *n as usize,
                    _ => return Err(format!("list length attribute '{a}' of {op} is missing")),
                },
            };
        }
        return Err(format!("{op} has no output named '{out}'"));
    }
    // A call of a library function: its signature lists the outputs.
    if let Some(def) = find_def(graph, op) {
        let sig = def.signature.clone().unwrap_or_default();
        let mut off = 0;
        for a in &sig.output_arg {
            if a.name == out {
                return Ok(off);
            }
            off += arg_count(op, a, attrs).map_err(|e| e.to_string())?;
        }
        return Err(format!("function {op} has no output named '{out}'"));
    }
    Ok(0)
}
