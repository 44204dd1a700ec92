//! The op registry. Each TensorFlow op is one file under `src/ops/<family>/` that implements
//! [`Op`]: its output dtypes and shapes, its CPU fold (when it has one), and its lowering to
//! kernels. Each family registers its ops in its `register` function, one line per op.
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::Result;
use crate::graph::Node;
use crate::kernel::{Lower, Operand};
use crate::tensor::{DType, Tensor};

pub mod util;

/// What is known of a tensor while planning: dtype, concrete shape, and its value when it is
/// constant or was folded.
#[derive(Clone, Debug)]
pub struct TensorInfo {
    pub dtype: DType,
    pub shape: Vec<usize>,
    pub value: Option<Arc<Tensor>>,
}

impl TensorInfo {
    pub fn new(dtype: DType, shape: Vec<usize>) -> Self {
        TensorInfo { dtype, shape, value: None }
    }
    pub fn known(t: Arc<Tensor>) -> Self {
        TensorInfo { dtype: t.dtype(), shape: t.shape().to_vec(), value: Some(t) }
    }
}

/// One TensorFlow op.
pub trait Op: Send + Sync + 'static {
    /// Whether input `i` must be known at plan time (a shape, axes, paddings…) rather than
    /// read by a kernel.
    fn is_host_input(&self, _node: &Node, _i: usize) -> bool {
        false
    }
    /// Computes the outputs on the CPU when every input is known. `None`: this op does not fold.
    fn fold(&self, _node: &Node, _inputs: &[Arc<Tensor>]) -> Option<Result<Vec<Arc<Tensor>>>> {
        None
    }
    /// Checks the node's attributes when the model is loaded, before any shape is known: a value
    /// wgtf does not support (a `fused_ops` list, a data format, a padding mode) is an error
    /// here, listed with the unsupported ops, not met when the model first runs.
    fn check(&self, _node: &Node) -> Result<()> {
        Ok(())
    }
    /// Output dtypes and shapes (and values, when they follow from shapes alone).
    fn infer(&self, node: &Node, inputs: &[TensorInfo]) -> Result<Vec<TensorInfo>>;
    /// Whether `lower` handles 64-bit integer operands (`Storage::I64`). Ops that do not see
    /// int64 tensors narrowed to 32 bits before and widened after (exact within int32).
    fn int64(&self) -> bool {
        false
    }
    /// Whether `lower` handles float operands held as f16 (`Storage::F16`, under `--precision
    /// f16`): its shaders declare `alias F = f32;` and read and write floats through `F`. Ops that
    /// do not see f16 tensors converted to f32 first, and write f32.
    fn f16(&self) -> bool {
        false
    }
    /// Emits the kernels (or aliases) that compute `outs` from `ins`.
    fn lower(&self, node: &Node, cx: &mut Lower, ins: &[Operand], outs: &[Operand]) -> Result<()>;
}

/// An op's entry in the registry.
pub struct OpEntry {
    pub family: &'static str,
    pub op: Box<dyn Op>,
}

/// Op name → implementation. Control-flow and list ops have no kernel of their own: the
/// planner evaluates them (`lower::control`), and the registry only names them (with their
/// family) so that support checks, `wgtf info` and the op table know them.
#[derive(Default)]
pub struct Registry {
    ops: BTreeMap<&'static str, OpEntry>,
    planned: BTreeMap<&'static str, &'static str>,
}

impl Registry {
    /// Every op wgtf implements.
    pub fn new() -> Registry {
        let mut r = Registry::default();
        families::register_all(&mut r);
        r
    }
    pub fn add(&mut self, family: &'static str, name: &'static str, op: impl Op) {
        assert!(!self.planned.contains_key(name), "op {name} registered twice");
        let prev = self.ops.insert(name, OpEntry { family, op: Box::new(op) });
        assert!(prev.is_none(), "op {name} registered twice");
    }
    /// An op the planner evaluates itself (control flow, lists): supported, with no [`Op`].
    pub fn add_planned(&mut self, family: &'static str, name: &'static str) {
        assert!(!self.ops.contains_key(name), "op {name} registered twice");
        let prev = self.planned.insert(name, family);
        assert!(prev.is_none(), "op {name} registered twice");
    }
    /// The op's implementation; `None` for an unknown op and for the planner's own ops.
    pub fn get(&self, name: &str) -> Option<&dyn Op> {
        self.ops.get(name).map(|e| e.op.as_ref())
    }
    /// The planner evaluates this op itself (see [`Registry::add_planned`]).
    pub fn is_planned(&self, name: &str) -> bool {
        self.planned.contains_key(name)
    }
    pub fn contains(&self, name: &str) -> bool {
        self.ops.contains_key(name) || self.planned.contains_key(name)
    }
    /// What of `nodes` wgtf cannot run, in one list: ops it does not have, and nodes whose
    /// attributes their op does not support ([`Op::check`]).
    pub fn unsupported<'n>(&self, nodes: impl IntoIterator<Item = &'n Node>) -> Vec<crate::error::Unsupported> {
        use crate::error::Unsupported;
        nodes
            .into_iter()
            .filter_map(|n| match self.get(&n.op) {
                None if self.is_planned(&n.op) => None,
                None => Some(Unsupported::op(&n.name, &n.op)),
                Some(op) => op.check(n).err().map(|e| Unsupported::attrs(&n.name, &n.op, &e)),
            })
            .collect()
    }
    /// (op name, family), sorted by name.
    pub fn names(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        let mut all: Vec<_> = self.ops.iter().map(|(n, e)| (*n, e.family)).chain(self.planned.iter().map(|(n, f)| (*n, *f))).collect();
        all.sort_unstable();
        all.into_iter()
    }
    pub fn len(&self) -> usize {
        self.ops.len() + self.planned.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A process-wide registry (immutable, built once).
pub fn registry() -> &'static Registry {
    static R: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
    R.get_or_init(Registry::new)
}

mod families {
    use super::Registry;
    pub fn register_all(r: &mut Registry) {
        crate::ops::array::register(r);
        crate::ops::math::register(r);
        crate::ops::nn::register(r);
        crate::ops::linalg::register(r);
        crate::ops::reduce::register(r);
        crate::ops::image::register(r);
        crate::ops::control::register(r);
    }
}

pub mod array;
pub mod image;
pub mod control;
pub mod linalg;
pub mod math;
pub mod nn;
pub mod reduce;
