//! Model files → graph IR.
use std::path::Path;

use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::runtime::model::LoadOptions;

/// Loads a model from a path: a frozen GraphDef (`.pb`).
pub fn load_graph(path: &Path, opts: &LoadOptions) -> Result<Graph> {
    if path.is_dir() {
        return Err(Error::InvalidModel(format!(
            "{} is a directory; SavedModel directories are not supported yet",
            path.display()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    Graph::from_bytes(&bytes, opts.prefix.as_deref()).map_err(|e| match e {
        Error::Decode { source, .. } => Error::Decode { what: format!("{} (as a GraphDef)", path.display()), source },
        e => e,
    })
}
