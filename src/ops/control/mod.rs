//! Control flow and lists: While/If/Case, function calls, TF1 Switch/Merge and loop frames,
//! TensorList and TensorArray ops. The planner evaluates these itself (`lower/control*.rs`):
//! they are registered here so that support checks and `wgtf info` know them.
use crate::error::Result;
use crate::graph::Node;
use crate::graph::op_kind::{is_host_input, is_structural};
use crate::kernel::{Lower, Operand};
use crate::ops::{Op, Registry, TensorInfo};

/// An op the planner handles (never lowered through the registry).
pub struct Planned;

impl Op for Planned {
    fn is_host_input(&self, node: &Node, i: usize) -> bool {
        is_host_input(&node.op, i)
    }
    fn infer(&self, node: &Node, _ins: &[TensorInfo]) -> Result<Vec<TensorInfo>> {
        Err(node.err("internal: control flow is planned by the compiler, not inferred as an op"))
    }
    fn lower(&self, node: &Node, _cx: &mut Lower, _ins: &[Operand], _outs: &[Operand]) -> Result<()> {
        Err(node.err("internal: control flow is planned by the compiler, not lowered as an op"))
    }
}

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
        r.add("control", op, Planned);
    }
}
