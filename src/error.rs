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

    #[error("unsupported op{}: {}", if .0.len() > 1 { "s" } else { "" }, list_unsupported(.0))]
    Unsupported(Vec<(String, String)>),

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

fn list_unsupported(v: &[(String, String)]) -> String {
    // Group by op: "Foo (a, b), Bar (c)".
    let mut ops: Vec<(String, Vec<String>)> = Vec::new();
    for (node, op) in v {
        match ops.iter_mut().find(|(o, _)| o == op) {
            Some((_, nodes)) => nodes.push(node.clone()),
            None => ops.push((op.clone(), vec![node.clone()])),
        }
    }
    ops.iter()
        .map(|(op, nodes)| {
            let shown: Vec<&str> = nodes.iter().take(3).map(|s| s.as_str()).collect();
            let more = if nodes.len() > 3 { format!(", +{} more", nodes.len() - 3) } else { String::new() };
            format!("{op} (node {}{more})", shown.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// An error about one node.
    pub fn node(node: &str, op: &str, msg: impl Into<String>) -> Self {
        Error::Node { node: node.to_string(), op: op.to_string(), msg: msg.into() }
    }
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}
