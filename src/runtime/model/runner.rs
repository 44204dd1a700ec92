//! Runs and loads in a few words: the run builder, feeds checked against their placeholders,
//! and `Context::load`.
use std::path::Path;

use super::{LoadOptions, Model};
use crate::error::{Error, Result};
use crate::graph::{Graph, Node, TensorRef};
use crate::runtime::context::Context;
use crate::tensor::Tensor;

/// Builder for one run: `model.runner().feed("x", &t).fetch("y:0").run()`.
pub struct Runner<'a> {
    pub(super) model: &'a Model,
    pub(super) feeds: Vec<(String, &'a Tensor)>,
    pub(super) fetches: Vec<String>,
}

impl<'a> Runner<'a> {
    pub fn feed(mut self, name: &str, t: &'a Tensor) -> Self {
        self.feeds.push((name.to_string(), t));
        self
    }
    pub fn fetch(mut self, name: &str) -> Self {
        self.fetches.push(name.to_string());
        self
    }
    #[cfg(not(target_arch = "wasm32"))]
    pub fn run(self) -> Result<Vec<Tensor>> {
        crate::runtime::platform::block_on(self.run_async())
    }
    pub async fn run_async(self) -> Result<Vec<Tensor>> {
        let feeds: Vec<(&str, &Tensor)> = self.feeds.iter().map(|(n, t)| (n.as_str(), *t)).collect();
        let fetches: Vec<&str> = self.fetches.iter().map(|s| s.as_str()).collect();
        self.model.run_async(&feeds, &fetches).await
    }
}

impl Context {
    /// Loads a model file: a frozen GraphDef `.pb`.
    pub fn load(&self, path: impl AsRef<Path>) -> Result<Model> {
        self.load_with(path, &LoadOptions::default())
    }

    pub fn load_with(&self, path: impl AsRef<Path>, opts: &LoadOptions) -> Result<Model> {
        let graph = crate::import::load_graph(path.as_ref(), opts)?;
        Model::from_graph_with(self, graph, opts.precision)
    }

    /// Loads a serialized GraphDef.
    pub fn load_graph_def(&self, bytes: &[u8], opts: &LoadOptions) -> Result<Model> {
        let graph = Graph::from_bytes(bytes, opts.prefix.as_deref())?;
        Model::from_graph_with(self, graph, opts.precision)
    }
}

/// Feeds must match a placeholder's declared dtype and known dims.
pub(super) fn check_feed(node: &Node, r: &TensorRef, t: &Tensor) -> Result<()> {
    if node.op != "Placeholder" {
        return Ok(());
    }
    let err = |msg: String| Error::Feed { name: r.to_string(), msg };
    if let Some(dt) = node.attr_opt_dtype("dtype")? {
        if dt != t.dtype() {
            return Err(err(format!("the placeholder is {dt}, the feed is {}: convert the feed (NumPy: x.astype(np.{dt}))", t.dtype())));
        }
    }
    if let Some(dims) = node.attr_opt_shape("shape")?.dims() {
        let ok = dims.len() == t.rank() && dims.iter().zip(t.shape()).all(|(d, s)| d.is_none_or(|d| d == *s));
        if !ok {
            let want: Vec<String> = dims.iter().map(|d| d.map_or("?".to_string(), |d| d.to_string())).collect();
            // The same values in the placeholder's shape, when the feed only lacks or has extra unit dims.
            let known: usize = dims.iter().map(|d| d.unwrap_or(1)).product();
            let hint = if dims.iter().filter(|d| d.is_none()).count() <= 1 && known > 0 && t.len() % known == 0 {
                let fill = t.len() / known;
                let s: Vec<String> = dims.iter().map(|d| d.unwrap_or(fill).to_string()).collect();
                format!("; it has the right number of values to be reshaped to [{}] (NumPy: x.reshape({}))", s.join(", "), s.join(", "))
            } else {
                "; `wgtf info MODEL` shows the inputs".to_string()
            };
            return Err(err(format!("the placeholder has shape [{}], the feed has shape {:?}{hint}", want.join(", "), t.shape())));
        }
    }
    Ok(())
}
