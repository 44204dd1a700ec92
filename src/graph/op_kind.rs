//! Every list of op names in one place: placeholders, pass-throughs, training and I/O ops, and
//! the structural ops (control flow, lists) the planner handles itself.

/// Ops that can be fed: their value may change between runs, so they are never folded.
pub fn is_placeholder(op: &str) -> bool {
    matches!(op, "Placeholder" | "PlaceholderWithDefault" | "PlaceholderV2")
}

/// The placeholders a model lists as its inputs.
pub fn is_input(op: &str) -> bool {
    matches!(op, "Placeholder" | "PlaceholderWithDefault")
}

/// Ops whose output 0 is their input 0 when planning (the compiler aliases them).
pub fn is_identity(op: &str) -> bool {
    matches!(op, "Identity" | "IdentityN" | "Snapshot" | "StopGradient")
}

/// Ops whose outputs are their inputs at run time (identities, and checks that pass their
/// input through).
pub fn passes_through(op: &str) -> bool {
    is_identity(op) || matches!(op, "PreventGradient" | "CheckNumerics")
}

/// Identities a function body may pass a loop variable through unchanged.
pub fn is_body_identity(op: &str) -> bool {
    matches!(op, "Identity" | "Snapshot" | "StopGradient")
}

/// Ops that serve training, saving or summaries: never part of inference, so sinks made of
/// them are not checked for support.
pub fn is_training_or_io(op: &str) -> bool {
    matches!(
        op,
        "NoOp" | "SaveV2" | "Save" | "SaveSlices" | "RestoreV2" | "Restore" | "RestoreSlice" | "MergeV2Checkpoints"
            | "ShardedFilename" | "StringJoin" | "Assign" | "AssignAdd" | "AssignSub" | "AssignVariableOp"
            | "AssignAddVariableOp" | "AssignSubVariableOp" | "VarIsInitializedOp" | "IsVariableInitialized"
            | "ScalarSummary" | "HistogramSummary" | "MergeSummary" | "Assert" | "PrintV2" | "Print"
    ) || op.starts_with("Apply")
        || op.starts_with("ResourceApply")
        || op.starts_with("SparseApply")
        || op.starts_with("ResourceSparseApply")
}

/// Ops the planner handles itself (control flow, lists), not through the op registry's lowering.
pub fn is_structural(op: &str) -> bool {
    matches!(
        op,
        "While" | "StatelessWhile" | "If" | "StatelessIf" | "Case" | "StatelessCase" | "PartitionedCall"
            | "StatefulPartitionedCall" | "Switch" | "RefSwitch" | "Merge" | "RefMerge" | "Enter" | "RefEnter" | "Exit"
            | "RefExit" | "NextIteration" | "RefNextIteration" | "LoopCond" | "_Arg"
    ) || is_list_op(op)
}

/// Ops that run with dead inputs (the TF1 `Merge`).
pub fn takes_dead(op: &str) -> bool {
    matches!(op, "Merge" | "RefMerge")
}

/// Whether input `i` of a structural op is read on the host when planning.
pub fn is_host_input(op: &str, i: usize) -> bool {
    is_list_host_input(op, i)
}

/// Ops on lists.
pub fn is_list_op(op: &str) -> bool {
    matches!(
        op,
        "EmptyTensorList"
            | "TensorListReserve"
            | "TensorListFromTensor"
            | "TensorListGetItem"
            | "TensorListSetItem"
            | "TensorListStack"
            | "TensorListLength"
            | "TensorListPushBack"
            | "TensorListPopBack"
            | "TensorListElementShape"
            | "TensorListGather"
            | "TensorListScatter"
            | "TensorListScatterV2"
            | "TensorListScatterIntoExistingList"
            | "TensorListResize"
            | "TensorArrayV3"
            | "TensorArrayWriteV3"
            | "TensorArrayReadV3"
            | "TensorArrayGatherV3"
            | "TensorArrayScatterV3"
            | "TensorArraySizeV3"
            | "TensorArrayCloseV3"
    )
}

/// Inputs of list ops that are read on the host (shapes, indices, lengths).
pub fn is_list_host_input(op: &str, i: usize) -> bool {
    match op {
        "EmptyTensorList" | "TensorListReserve" => true,
        "TensorListFromTensor" | "TensorListSetItem" | "TensorListStack" | "TensorListPopBack" | "TensorListResize" => i == 1,
        "TensorListGetItem" | "TensorListGather" | "TensorListScatter" => i == 1 || i == 2,
        "TensorListScatterV2" => (1..=3).contains(&i),
        "TensorListScatterIntoExistingList" => i == 2,
        "TensorArrayV3" => i == 0,
        "TensorArrayWriteV3" | "TensorArrayReadV3" | "TensorArrayGatherV3" | "TensorArrayScatterV3" => i == 1,
        _ => false,
    }
}
