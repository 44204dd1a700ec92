//! Typed errors. Every error that concerns a node names the node and its op.
use std::path::PathBuf;

/// Result type of the whole crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, from reading a file to running on the GPU.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, #[source] source: std::io::Error },

    #[error("{what} is not a valid protobuf message: {source}")]
    Decode { what: String, #[source] source: prost::DecodeError },

    #[error("invalid model: {0}")]
    InvalidModel(String),

    #[error("node '{node}' ({op}): {msg}")]
    Node { node: String, op: String, msg: String },

    /// Planning this node needs the values of some of its inputs (a shape, a range limit, a
    /// branch index) and they are not known: they follow from feed values or are computed on
    /// the GPU. `inputs` are the node's input indices whose values are missing; the runtime
    /// specialises the plan on the small feeds they follow from, or reads them back at a sync
    /// point (see `lower::pipeline::value_candidates`). Reads like [`Error::Node`].
    #[error("node '{node}' ({op}): {msg}")]
    NeedsValues { node: String, op: String, inputs: Vec<usize>, msg: String },

    /// What the model holds that wgtf cannot run, all of it: ops, and attribute values of
    /// supported ops (a `fused_ops` list, a data format, a padding mode), with their nodes.
    #[error("unsupported: {}", list_unsupported(.0))]
    Unsupported(Vec<Unsupported>),

    #[error("unknown tensor '{0}': no node of that name in the graph (`wgtf info MODEL` lists its inputs and likely outputs)")]
    UnknownTensor(String),

    #[error("feed '{name}': {msg}")]
    Feed { name: String, msg: String },

    #[error("tensor: {0}")]
    Tensor(String),

    #[error("npy file {path}: {msg}")]
    Npy { path: PathBuf, msg: String },

    /// A TensorFlow.js model (`model.json` and its weight shards) that cannot be read.
    #[error("TF.js model {path}: {msg}")]
    Tfjs { path: PathBuf, msg: String },

    #[error("checkpoint {path}: {msg}")]
    Checkpoint { path: PathBuf, msg: String },

    /// A variable that cannot be restored (missing from the checkpoint, mismatched, unnamed).
    #[error("restoring variables: {0}")]
    Restore(String),

    #[error("no GPU adapter found{0}. Install a Vulkan driver (on Linux without a GPU: `apt-get install mesa-vulkan-drivers libvulkan1`) or pick another backend with WGTF_BACKEND=vulkan|metal|dx12|gl")]
    NoAdapter(String),

    #[error("GPU device: {0}")]
    Device(String),

    #[error("GPU out of memory: {0}")]
    OutOfMemory(String),

    #[error("{0}")]
    Other(String),
}

/// One thing of a model that wgtf cannot run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    pub node: String,
    pub op: String,
    /// `None`: the op; else what of its attributes (e.g. "unsupported fused_ops [...]").
    pub what: Option<String>,
}

impl Unsupported {
    /// The op itself is not supported.
    pub fn op(node: &str, op: &str) -> Self {
        Unsupported { node: node.to_string(), op: op.to_string(), what: None }
    }
    /// The op is, but not the attributes of this node: `err` says what.
    pub fn attrs(node: &str, op: &str, err: &Error) -> Self {
        let what = match err {
            Error::Node { msg, .. } | Error::NeedsValues { msg, .. } => msg.clone(),
            e => e.to_string(),
        };
        Unsupported { node: node.to_string(), op: op.to_string(), what: Some(what) }
    }
}

fn list_unsupported(v: &[Unsupported]) -> String {
    // Group by op and reason: "op Foo (node a, b); Bar: unsupported padding 'X' (node c)".
    let mut groups: Vec<(&str, Option<&str>, Vec<&str>)> = Vec::new();
    for u in v {
        match groups.iter_mut().find(|(o, w, _)| *o == u.op && *w == u.what.as_deref()) {
            Some((_, _, nodes)) => nodes.push(&u.node),
            None => groups.push((&u.op, u.what.as_deref(), vec![&u.node])),
        }
    }
    groups
        .iter()
        .map(|(op, what, nodes)| {
            let shown: Vec<&str> = nodes.iter().take(3).copied().collect();
            let more = if nodes.len() > 3 { format!(", +{} more", nodes.len() - 3) } else { String::new() };
            let nodes = format!("(node{} {}{more})", if nodes.len() > 1 { "s" } else { "" }, shown.join(", "));
            match what {
                None => format!("op {op} {nodes}"),
                Some(w) => format!("{op}: {w} {nodes}"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// An error about one node.
    pub fn node(node: &str, op: &str, msg: impl Into<String>) -> Self {
        Error::Node { node: node.to_string(), op: op.to_string(), msg: msg.into() }
    }
    /// The same error with its message about a node extended by `f` (other errors as they
    /// are): context added on the way out of a function body or a loop.
    pub fn map_node_msg(self, f: impl FnOnce(&str) -> String) -> Self {
        match self {
            Error::Node { node, op, msg } => Error::Node { msg: f(&msg), node, op },
            Error::NeedsValues { node, op, inputs, msg } => Error::NeedsValues { msg: f(&msg), node, op, inputs },
            e => e,
        }
    }
    /// An error about node `node` itself as one that knowing the values of its inputs
    /// `inputs` would avoid (a conditional or loop decided on the GPU that cannot be lowered
    /// as such, but could be planned with its predicate known); other errors as they are.
    pub fn needing_values(self, node: &str, inputs: impl FnOnce() -> Vec<usize>) -> Self {
        match self {
            Error::Node { node: n, op, msg } if n == node => Error::NeedsValues { node: n, op, inputs: inputs(), msg },
            e => e,
        }
    }
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}
