//! Model files → graph IR: frozen GraphDefs (`.pb`), checkpoints (a prefix `dir/model.ckpt`
//! with its `.meta` graph, or a directory with a `checkpoint` file), meta graphs (`.meta`) and
//! SavedModel directories (TF1 and TF2). Variables are restored from the checkpoint as `Const`
//! nodes; TF2 function calls are inlined so the variables they read can be.
pub mod checkpoint;
pub mod freeze;
pub mod meta_graph;
mod options;
pub mod saved_model;
mod table;
pub mod tfjs;
pub mod variables;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

pub use checkpoint::Checkpoint;
pub use freeze::{freeze, freeze_to_file, FreezeOptions};
pub use meta_graph::{SignatureInfo, SignatureTensor};
pub use options::{LoadOptions, Precision};
pub use variables::{RestoreOptions, ValueSource, VariableInfo};

use crate::error::{Error, Result};
use crate::graph::{function, Graph};

/// What kind of model a path held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// A GraphDef `.pb`.
    GraphDef,
    /// A meta graph (`.meta`, or a checkpoint prefix with its `.meta`).
    MetaGraph { meta: PathBuf },
    /// A SavedModel directory, with the tags of the meta graph loaded.
    SavedModel { dir: PathBuf, tags: Vec<String> },
    /// A TensorFlow.js graph model (`model.json` and its weight shards).
    TfjsGraph { json: PathBuf, converted_by: Option<String> },
}

impl ModelKind {
    /// Whether the file may hold a training graph (gradients, optimizer updates, savers):
    /// meta graphs and SavedModels; frozen GraphDefs and TF.js models hold inference graphs.
    pub fn may_train(&self) -> bool {
        matches!(self, ModelKind::MetaGraph { .. } | ModelKind::SavedModel { .. })
    }
}

/// A loaded model: its graph (variables restored as constants) and what it declares.
#[derive(Debug)]
pub struct Loaded {
    pub graph: Graph,
    pub kind: ModelKind,
    /// The checkpoint the variables were restored from.
    pub checkpoint: Option<PathBuf>,
    pub variables: Vec<VariableInfo>,
    pub signatures: Vec<SignatureInfo>,
    /// The signature whose keys name feeds and fetches.
    pub signature: Option<String>,
}

/// What a path designates.
enum ModelFiles {
    GraphDef(PathBuf),
    Tfjs(PathBuf),
    Meta { meta: PathBuf, ckpt: Option<PathBuf> },
    SavedModel(PathBuf),
}

/// `path` minus `suffix`, if it ends so.
fn strip(path: &Path, suffix: &str) -> Option<PathBuf> {
    path.to_str().and_then(|s| s.strip_suffix(suffix)).map(PathBuf::from)
}

/// The checkpoint prefix a path designates: a prefix, one of its files, or a directory with a
/// `checkpoint` file.
pub fn checkpoint_prefix(path: &Path) -> Result<PathBuf> {
    if checkpoint::is_prefix(path) {
        return Ok(path.to_path_buf());
    }
    if path.is_dir() {
        return checkpoint::latest_checkpoint(path);
    }
    let s = path.to_string_lossy();
    let p = strip(path, ".index")
        .or_else(|| strip(path, ".meta"))
        .or_else(|| s.rfind(".data-").map(|i| PathBuf::from(&s[..i])))
        .filter(|p| checkpoint::is_prefix(p));
    p.ok_or_else(|| Error::Checkpoint {
        path: path.to_path_buf(),
        msg: "not a checkpoint (no PREFIX.index file, and not a directory with a 'checkpoint' file)".into(),
    })
}

fn resolve(path: &Path) -> Result<ModelFiles> {
    if path.is_dir() {
        if saved_model::is_saved_model(path) {
            return Ok(ModelFiles::SavedModel(path.to_path_buf()));
        }
        if tfjs::is_model_json(path) {
            return Ok(ModelFiles::Tfjs(path.join("model.json")));
        }
        if path.join("checkpoint").is_file() {
            let prefix = checkpoint::latest_checkpoint(path)?;
            return Ok(ModelFiles::Meta { meta: checkpoint::meta_path(&prefix), ckpt: Some(prefix) });
        }
        return Err(Error::InvalidModel(format!(
            "{} is a directory with neither saved_model.pb (a SavedModel), model.json (TF.js) nor a 'checkpoint' file",
            path.display()
        )));
    }
    if path.is_file() {
        let name = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        if name == "saved_model.pb" {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            return Ok(ModelFiles::SavedModel(if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir }));
        }
        if let Some(prefix) = strip(path, ".meta") {
            return Ok(ModelFiles::Meta { meta: path.to_path_buf(), ckpt: checkpoint::is_prefix(&prefix).then_some(prefix) });
        }
        if tfjs::is_model_json(path) {
            return Ok(ModelFiles::Tfjs(path.to_path_buf()));
        }
        if name.ends_with(".index") || name.contains(".data-") {
            let prefix = checkpoint_prefix(path)?;
            return Ok(ModelFiles::Meta { meta: checkpoint::meta_path(&prefix), ckpt: Some(prefix) });
        }
        return Ok(ModelFiles::GraphDef(path.to_path_buf()));
    }
    if checkpoint::is_prefix(path) {
        return Ok(ModelFiles::Meta { meta: checkpoint::meta_path(path), ckpt: Some(path.to_path_buf()) });
    }
    Err(Error::io(path, std::io::Error::new(std::io::ErrorKind::NotFound, "no such file, directory or checkpoint prefix")))
}

/// A model's graph before its variables are restored, with what restoring them needs.
pub(crate) struct Prepared {
    pub graph: Graph,
    pub kind: ModelKind,
    pub ckpt: Option<Checkpoint>,
    /// Checkpoint keys the model itself gives (object graph, saver), by variable node.
    pub keys: HashMap<String, String>,
    /// The saver's save and restore nodes (removed when loading).
    pub saver_nodes: Vec<String>,
    pub signatures: Vec<SignatureInfo>,
}

fn open_checkpoint(default: Option<PathBuf>, opts: &LoadOptions) -> Result<Option<Checkpoint>> {
    let prefix = match &opts.restore.checkpoint {
        Some(p) => Some(checkpoint_prefix(p)?),
        None => default,
    };
    prefix.map(Checkpoint::open).transpose()
}

/// Reads a model and readies its graph: attribute defaults restored, function calls inlined
/// where variables are involved, and the checkpoint keys of its variables found.
pub(crate) fn read_model(path: &Path, opts: &LoadOptions) -> Result<Prepared> {
    let scope = opts.prefix.as_deref().filter(|s| !s.is_empty());
    let (mg, ckpt_prefix, kind) = match resolve(path)? {
        ModelFiles::GraphDef(p) => {
            let bytes = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
            let mut graph = Graph::from_bytes(&bytes, scope).map_err(|e| match e {
                Error::Decode { source, .. } => Error::Decode { what: format!("{} (as a GraphDef)", p.display()), source },
                e => e,
            })?;
            let ckpt = open_checkpoint(None, opts)?;
            if !variables::variable_nodes(&graph).is_empty() {
                function::inline_calls(&mut graph)?;
            }
            let keys = variables::saver_keys(&graph);
            return Ok(Prepared { graph, kind: ModelKind::GraphDef, ckpt, keys, saver_nodes: vec![], signatures: vec![] });
        }
        ModelFiles::Tfjs(json) => {
            let m = tfjs::read(&json, scope)?;
            let graph = Graph::from_graph_def(m.graph, scope)?;
            let kind = ModelKind::TfjsGraph { json, converted_by: m.converted_by };
            let signatures = m.signature.into_iter().collect();
            return Ok(Prepared { graph, kind, ckpt: None, keys: HashMap::new(), saver_nodes: vec![], signatures });
        }
        ModelFiles::Meta { meta, ckpt } => {
            if !meta.is_file() {
                return Err(Error::InvalidModel(format!(
                    "{}: a checkpoint holds the values of variables, not the graph, and there is no {} next to it \
                     (give the graph as a .meta or .pb file, with the checkpoint as --checkpoint)",
                    path.display(),
                    meta.display()
                )));
            }
            let mg = meta_graph::read(&meta)?;
            (mg, ckpt, ModelKind::MetaGraph { meta })
        }
        ModelFiles::SavedModel(dir) => {
            let (mg, prefix) = saved_model::read(&dir, &opts.tags)?;
            let tags = mg.meta_info_def.as_ref().map(|m| m.tags.clone()).unwrap_or_default();
            (mg, prefix, ModelKind::SavedModel { dir, tags })
        }
    };
    let ckpt = open_checkpoint(ckpt_prefix, opts)?;
    let gd = meta_graph::graph_def(&mg);
    let object_keys = saved_model::object_graph_keys(&gd, mg.object_graph_def.as_ref(), ckpt.as_ref(), scope)?;
    let mut graph = Graph::from_graph_def(gd, scope)?;
    if !variables::variable_nodes(&graph).is_empty() {
        function::inline_calls(&mut graph)?;
    }
    // The object graph's keys win over the saver's (TF2 savers may restore other handles).
    let mut keys = variables::saver_keys(&graph);
    keys.extend(object_keys);
    Ok(Prepared {
        graph,
        kind,
        ckpt,
        keys,
        saver_nodes: meta_graph::saver_nodes(&mg, scope),
        signatures: meta_graph::signatures(&mg, scope),
    })
}

/// The node that parks training-only outputs (see [`park_training_outputs`]).
pub const PARKED: &str = "_wgtf/training_outputs";

/// Training graphs (meta graphs, SavedModels) hold losses and gradients whose ops wgtf may not
/// run. Outputs (sinks) that depend on such ops, and that no signature names, are parked: they
/// get a control edge to one `NoOp`, so the load-time support check and folding leave them
/// alone; fetching one still plans it (and reports its op if unsupported then).
fn park_training_outputs(g: &mut Graph, keep: &HashSet<String>) -> Result<()> {
    // Layer exception (tests/layers.rs): which outputs are parked depends on which ops wgtf can
    // run, and `import::load` (public, called before any model exists) has no registry to be
    // given; the registry's op names are static data.
    let reg = crate::ops::registry();
    let supported = |g: &Graph, op: &str| {
        reg.contains(op)
            || function::has_function(g, op)
            || variables::VARIABLE_OPS.contains(&op)
            || matches!(op, "ReadVariableOp" | "ResourceGather" | "ResourceGatherNd")
    };
    let mut consumers: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut consumed = HashSet::new();
    for (i, n) in g.nodes.iter().enumerate() {
        for r in &n.inputs {
            consumers.entry(r.node.as_str()).or_default().push(i);
            consumed.insert(r.node.as_str());
        }
        consumed.extend(n.controls.iter().map(|c| c.as_str()));
    }
    // Everything downstream (through data edges) of an unsupported op.
    let mut bad = vec![false; g.nodes.len()];
    let mut todo: Vec<usize> = (0..g.nodes.len()).filter(|&i| !supported(g, &g.nodes[i].op)).collect();
    while let Some(i) = todo.pop() {
        if std::mem::replace(&mut bad[i], true) {
            continue;
        }
        todo.extend(consumers.get(g.nodes[i].name.as_str()).into_iter().flatten().copied());
    }
    let parked: Vec<String> = (0..g.nodes.len())
        .filter(|&i| bad[i] && !consumed.contains(g.nodes[i].name.as_str()) && !keep.contains(&g.nodes[i].name))
        .filter(|&i| !crate::graph::op_kind::is_training_or_io(&g.nodes[i].op))
        .map(|i| g.nodes[i].name.clone())
        .collect();
    if parked.is_empty() {
        return Ok(());
    }
    if let Some(i) = g.node_index(PARKED) {
        g.nodes[i].controls.extend(parked);
        return Ok(());
    }
    g.push(crate::graph::Node {
        name: PARKED.into(),
        op: "NoOp".into(),
        inputs: vec![],
        controls: parked,
        attrs: Default::default(),
        device: String::new(),
    })
}

/// Whether a node name lies in a gradient scope (`gradients/…`, `gradients_3/…` under the import
/// scope): what `tf.gradients` and TF1 optimizers build.
fn in_gradient_scope(name: &str, scope: Option<&str>) -> bool {
    let top = variables::unscoped(name, scope).split('/').next().unwrap_or("");
    top == "gradients" || top.strip_prefix("gradients_").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Removes the gradient computation of a training graph and what it feeds (optimizer updates):
/// only training needs them, and their loops (TF1 gradient frames) are not meant to run.
/// Gradient nodes that the forward graph reads (TF2 loop accumulators) stay.
fn remove_gradients(g: &mut Graph, scope: Option<&str>) -> Result<()> {
    let grad: Vec<bool> = g.nodes.iter().map(|n| in_gradient_scope(&n.name, scope)).collect();
    if !grad.contains(&true) {
        return Ok(());
    }
    let mut up = vec![false; g.nodes.len()];
    let mut todo: Vec<usize> = (0..g.nodes.len())
        .filter(|&i| !grad[i] && !crate::graph::op_kind::is_training_or_io(&g.nodes[i].op))
        .collect();
    while let Some(i) = todo.pop() {
        if std::mem::replace(&mut up[i], true) {
            continue;
        }
        todo.extend(g.nodes[i].inputs.iter().filter_map(|r| g.node_index(&r.node)));
    }
    let start: HashSet<String> = (0..g.nodes.len()).filter(|&i| grad[i] && !up[i]).map(|i| g.nodes[i].name.clone()).collect();
    variables::remove_downstream(g, &start)
}

/// Loads a model: a GraphDef `.pb`, a checkpoint (prefix, `.meta`, or directory with a
/// `checkpoint` file) or a SavedModel directory; restores its variables as constants (see
/// [`LoadOptions::restore`]) and names the chosen signature's keys as tensors.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Loaded> {
    let Prepared { mut graph, kind, ckpt, keys, saver_nodes, signatures } = read_model(path, opts)?;
    let scope = opts.prefix.as_deref().filter(|s| !s.is_empty());
    variables::remove_savers(&mut graph, &saver_nodes)?;
    if kind.may_train() {
        remove_gradients(&mut graph, scope)?;
    }
    let sig = meta_graph::pick_signature(&signatures, opts.signature.as_deref())?;
    let keep: HashSet<String> = signatures
        .iter()
        .flat_map(|s| &s.outputs)
        .filter_map(|t| crate::graph::TensorRef::parse(&t.tensor).ok())
        .map(|r| r.node)
        .collect();
    if kind.may_train() {
        park_training_outputs(&mut graph, &keep)?;
    }
    let mut vars = Vec::new();
    if !variables::variable_nodes(&graph).is_empty() || !opts.restore.values.is_empty() {
        let plan = variables::RestorePlan { opts: &opts.restore, scope, keys };
        vars = variables::restore(&mut graph, ckpt.as_ref(), &plan)?;
    }
    if kind.may_train() {
        // Removing training-only variables can leave more training outputs behind.
        park_training_outputs(&mut graph, &keep)?;
    }
    if let Some(s) = sig {
        graph.aliases = meta_graph::aliases(s)?;
    }
    let signature = sig.map(|s| s.key.clone());
    Ok(Loaded { graph, kind, checkpoint: ckpt.map(|c| c.prefix().to_path_buf()), variables: vars, signatures, signature })
}

/// Loads a model's graph (see [`load`]).
pub fn load_graph(path: &Path, opts: &LoadOptions) -> Result<Graph> {
    load(path, opts).map(|l| l.graph)
}
