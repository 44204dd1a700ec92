//! Control flow and lists: While/If/Case, function calls, TF1 Switch/Merge and loop frames,
//! TensorList and TensorArray ops. The planner evaluates these itself (`lower/control/`):
//! they are named here (no kernel, no `Op`) so that support checks and `wgtf info` know them.
use crate::graph::op_kind::is_structural;
use crate::ops::Registry;

/// Every op of the family.
pub const OPS: &[&str] = &[
    "While",
    "StatelessWhile",
    "If",
    "StatelessIf",
    "Case",
    "StatelessCase",
    "PartitionedCall",
    "StatefulPartitionedCall",
    "Switch",
    "RefSwitch",
    "Merge",
    "RefMerge",
    "Enter",
    "RefEnter",
    "Exit",
    "RefExit",
    "NextIteration",
    "RefNextIteration",
    "LoopCond",
    "EmptyTensorList",
    "TensorListReserve",
    "TensorListFromTensor",
    "TensorListGetItem",
    "TensorListSetItem",
    "TensorListStack",
    "TensorListLength",
    "TensorListPushBack",
    "TensorListPopBack",
    "TensorListElementShape",
    "TensorListGather",
    "TensorListScatter",
    "TensorListScatterV2",
    "TensorListScatterIntoExistingList",
    "TensorListResize",
    "TensorArrayV3",
    "TensorArrayWriteV3",
    "TensorArrayReadV3",
    "TensorArrayGatherV3",
    "TensorArrayScatterV3",
    "TensorArraySizeV3",
    "TensorArrayCloseV3",
];

pub fn register(r: &mut Registry) {
    for op in OPS {
        debug_assert!(is_structural(op), "{op}");
        r.add_planned("control", op);
    }
}
