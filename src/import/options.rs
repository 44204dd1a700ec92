//! How a model is loaded.
use super::RestoreOptions;

/// Options for loading a model.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Import every node under this name scope (`prefix/node`), like `import_graph_def(name=…)`.
    pub prefix: Option<String>,
    /// SavedModel: the signature whose keys may name feeds and fetches (default
    /// `serving_default`, when there is one).
    pub signature: Option<String>,
    /// SavedModel: the tags of the meta graph to load (default `serve`, or the only one).
    pub tags: Vec<String>,
    /// Checkpoints: which variables to restore, from where, and values given for them.
    pub restore: RestoreOptions,
}
