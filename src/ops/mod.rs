//! The op registry. Each TensorFlow op is one file under `src/ops/<family>/` that implements
//! [`Op`]: its output dtypes and shapes, its CPU fold (when it has one), and its lowering to
//! kernels. Each family registers its ops in its `register` function, one line per op.
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::error::{Error, Result, Unsupported};
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

/// One TensorFlow op. Ops whose nodes carry attributes are built per node when the model is
/// loaded ([`Registry::add_built`]): the builder decodes the attributes once into the op's
/// fields (a `Conv2D { window }`, a `MatMul { ta, tb }`), so a bad attribute fails at load with
/// the node's name and plans never read attributes again. Ops without attributes (or not yet
/// converted) are one shared value ([`Registry::add`]) that reads them from `node`, with
/// [`Op::check`] for the load-time check.
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

/// A builder: decodes a node's attributes into its op (errors name the node).
type Builder = Box<dyn Fn(&Node) -> Result<Arc<dyn Op>> + Send + Sync>;

/// How the registry makes the op of a node.
enum Make {
    /// One value for every node (it reads what it needs from the node).
    Shared(Arc<dyn Op>),
    /// Built per node from its attributes.
    Built(Builder),
}

/// An op's entry in the registry.
pub struct OpEntry {
    pub family: &'static str,
    make: Make,
}

/// The ops of a graph's nodes, built once when the model is loaded (by node name).
#[derive(Clone, Default)]
pub struct BuiltOps {
    by_node: HashMap<String, Arc<dyn Op>>,
}

impl BuiltOps {
    /// The op built for the node of this name.
    pub fn get(&self, node: &str) -> Option<&Arc<dyn Op>> {
        self.by_node.get(node)
    }
    pub fn len(&self) -> usize {
        self.by_node.len()
    }
    pub fn is_empty(&self) -> bool {
        self.by_node.is_empty()
    }
}

impl std::fmt::Debug for BuiltOps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BuiltOps({} nodes)", self.by_node.len())
    }
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
    /// An op shared by all its nodes.
    pub fn add(&mut self, family: &'static str, name: &'static str, op: impl Op) {
        self.insert(family, name, Make::Shared(Arc::new(op)));
    }
    /// An op built per node by `build`, which decodes the node's attributes (see [`Op`]).
    pub fn add_built<O: Op>(&mut self, family: &'static str, name: &'static str, build: impl Fn(&Node) -> Result<O> + Send + Sync + 'static) {
        self.insert(family, name, Make::Built(Box::new(move |n| Ok(Arc::new(build(n)?) as Arc<dyn Op>))));
    }
    fn insert(&mut self, family: &'static str, name: &'static str, make: Make) {
        assert!(!self.planned.contains_key(name), "op {name} registered twice");
        let prev = self.ops.insert(name, OpEntry { family, make });
        assert!(prev.is_none(), "op {name} registered twice");
    }
    /// An op the planner evaluates itself (control flow, lists): supported, with no [`Op`].
    pub fn add_planned(&mut self, family: &'static str, name: &'static str) {
        assert!(!self.ops.contains_key(name), "op {name} registered twice");
        let prev = self.planned.insert(name, family);
        assert!(prev.is_none(), "op {name} registered twice");
    }
    /// The op of one node: the shared one, or built from the node's attributes. An unknown op
    /// (or one of the planner's own) is [`Error::Unsupported`]; a bad attribute, the builder's
    /// error naming the node.
    pub fn build(&self, node: &Node) -> Result<Arc<dyn Op>> {
        match self.ops.get(node.op.as_str()).map(|e| &e.make) {
            Some(Make::Shared(op)) => Ok(op.clone()),
            Some(Make::Built(build)) => build(node),
            None => Err(Error::Unsupported(vec![Unsupported::op(&node.name, &node.op)])),
        }
    }
    /// Builds the ops of `nodes` (the planner's own ops have none), or lists everything of them
    /// that wgtf cannot run: ops it does not have, and attributes their builder (or
    /// [`Op::check`]) refuses — all at once.
    pub fn build_all<'n>(&self, nodes: impl IntoIterator<Item = &'n Node>) -> Result<BuiltOps, Vec<Unsupported>> {
        let mut out = BuiltOps::default();
        let mut bad = Vec::new();
        for n in nodes {
            if self.is_planned(&n.op) {
                continue;
            }
            match self.checked(n) {
                Ok(op) => {
                    out.by_node.insert(n.name.clone(), op);
                }
                Err(u) => bad.push(u),
            }
        }
        if bad.is_empty() {
            Ok(out)
        } else {
            Err(bad)
        }
    }
    /// The op of a node with its load-time check done.
    fn checked(&self, n: &Node) -> Result<Arc<dyn Op>, Unsupported> {
        let op = self.build(n).map_err(|e| match e {
            Error::Unsupported(_) => Unsupported::op(&n.name, &n.op),
            e => Unsupported::attrs(&n.name, &n.op, &e),
        })?;
        op.check(n).map_err(|e| Unsupported::attrs(&n.name, &n.op, &e))?;
        Ok(op)
    }
    /// The planner evaluates this op itself (see [`Registry::add_planned`]).
    pub fn is_planned(&self, name: &str) -> bool {
        self.planned.contains_key(name)
    }
    pub fn contains(&self, name: &str) -> bool {
        self.ops.contains_key(name) || self.planned.contains_key(name)
    }
    /// What of `nodes` wgtf cannot run, in one list: ops it does not have, and nodes whose
    /// attributes their op does not support (its builder's error, or [`Op::check`]'s).
    pub fn unsupported<'n>(&self, nodes: impl IntoIterator<Item = &'n Node>) -> Vec<crate::error::Unsupported> {
        nodes.into_iter().filter(|n| !self.is_planned(&n.op)).filter_map(|n| self.checked(n).err()).collect()
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
