//! The served models and their versions. A model is a path loaded once (`--model NAME=PATH`,
//! version 1), or a base path of numbered version directories (TensorFlow Serving's layout),
//! polled for new versions: a new version is loaded fully (graph, constants, a warm-up run)
//! beside the old, then published with one pointer swap; the versions the policy no longer
//! wants are dropped from the table. Requests hold an `Arc` of the version they run on, so an
//! old version serves its in-flight requests to the end; its workers finish its queue and
//! exit, and its model — with its GPU memory — is freed with the last reference.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Instant, SystemTime};

use super::error::ServeError;
use super::metrics::Metrics;
use super::signature::ModelApi;
use super::worker::{Queue, QueueOptions, WorkerSet};
use crate::tensor::{DType, Tensor};
use crate::{Context, LoadOptions, Model};

/// Which versions of a base path to serve (TensorFlow Serving's `model_version_policy`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Policy {
    /// The `n` highest versions (default: 1).
    Latest(usize),
    All,
    Specific(Vec<u64>),
}

impl Policy {
    fn select(&self, on_disk: &BTreeSet<u64>) -> BTreeSet<u64> {
        match self {
            Policy::Latest(n) => on_disk.iter().rev().take((*n).max(1)).copied().collect(),
            Policy::All => on_disk.clone(),
            Policy::Specific(v) => v.iter().filter(|x| on_disk.contains(x)).copied().collect(),
        }
    }
}

/// Where a model comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A model path (anything `wgtf run` loads), served as version 1.
    Path(PathBuf),
    /// A directory of numbered versions, polled.
    Versions { base: PathBuf, policy: Policy },
}

/// One model to serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelSpec {
    pub name: String,
    pub source: Source,
    /// Version labels (`stable` → 3): `/v1/models/NAME/labels/LABEL`.
    pub labels: BTreeMap<String, u64>,
}

/// A loaded version.
pub struct Version {
    pub number: u64,
    pub path: PathBuf,
    pub api: ModelApi,
    pub model: Arc<Model>,
    pub queue: Queue,
}

/// What TensorFlow Serving's status endpoint reports of a version.
#[derive(Clone, Debug)]
pub struct VersionState {
    /// `LOADING`, `AVAILABLE`, `UNLOADING` or `END`.
    pub state: &'static str,
    pub error: Option<String>,
}

/// A served model: its versions (swapped whole) and their states.
pub struct Served {
    pub spec: ModelSpec,
    versions: RwLock<Arc<BTreeMap<u64, Arc<Version>>>>,
    states: Mutex<BTreeMap<u64, VersionState>>,
    /// Versions that failed to load, with the fingerprint of their directory then: retried only
    /// when it changes.
    failed: Mutex<HashMap<u64, (SystemTime, u64)>>,
}

/// Which version a request asks for.
#[derive(Clone, Debug)]
pub enum Want {
    Latest,
    Number(u64),
    Label(String),
}

impl Served {
    /// The versions served now.
    pub fn versions(&self) -> Arc<BTreeMap<u64, Arc<Version>>> {
        self.versions.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn states(&self) -> BTreeMap<u64, VersionState> {
        self.states.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_state(&self, v: u64, state: &'static str, error: Option<String>) {
        let mut s = self.states.lock().unwrap_or_else(|e| e.into_inner());
        s.insert(v, VersionState { state, error });
        // Keep the states of versions that ended to a few.
        while s.len() > 16 {
            let Some(old) = s.iter().find(|(_, st)| st.state == "END").map(|(k, _)| *k) else { break };
            s.remove(&old);
        }
    }

    fn publish(&self, map: BTreeMap<u64, Arc<Version>>) {
        *self.versions.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(map);
    }

    /// The version a request wants.
    pub fn get(&self, want: &Want) -> Result<Arc<Version>, ServeError> {
        let map = self.versions();
        let loaded = || map.keys().map(|k| k.to_string()).collect::<Vec<_>>().join(", ");
        let v = match want {
            Want::Latest => return map.values().next_back().cloned().ok_or_else(|| ServeError::NotReady(self.spec.name.clone())),
            Want::Number(v) => *v,
            Want::Label(l) => *self.spec.labels.get(l).ok_or_else(|| ServeError::UnknownVersion {
                model: self.spec.name.clone(),
                version: format!("labelled '{l}'"),
                loaded: format!("labels: {}", self.spec.labels.keys().cloned().collect::<Vec<_>>().join(", ")),
            })?,
        };
        map.get(&v).cloned().ok_or_else(|| ServeError::UnknownVersion { model: self.spec.name.clone(), version: v.to_string(), loaded: loaded() })
    }
}

/// How versions are loaded and run.
#[derive(Clone, Debug)]
pub struct LoadSettings {
    pub load: LoadOptions,
    pub queue: QueueOptions,
    /// Run each new version once (zeros, unknown dims 1) before serving it: pipelines compiled,
    /// the batch-1 plan made, output dtypes and shapes learned.
    pub warmup: bool,
}

/// Every served model.
pub struct Registry {
    pub ctx: Context,
    pub models: BTreeMap<String, Arc<Served>>,
    pub settings: LoadSettings,
    pub metrics: Arc<Metrics>,
    pub workers: WorkerSet,
}

impl Registry {
    /// Loads every model (the highest versions of base paths); any error is returned, naming
    /// the model. A base path without versions yet is served once one appears.
    pub fn load(ctx: Context, specs: Vec<ModelSpec>, settings: LoadSettings, metrics: Arc<Metrics>) -> crate::Result<Registry> {
        let mut reg = Registry { ctx, models: BTreeMap::new(), settings, metrics, workers: WorkerSet::default() };
        for spec in specs {
            let name = spec.name.clone();
            let served = Arc::new(Served { spec, versions: RwLock::new(Arc::new(BTreeMap::new())), states: Mutex::new(BTreeMap::new()), failed: Mutex::new(HashMap::new()) });
            reg.models.insert(name.clone(), served.clone());
            reg.refresh(&served).map_err(|e| crate::Error::Other(format!("model '{name}': {e}")))?;
        }
        Ok(reg)
    }

    pub fn model(&self, name: &str) -> Result<&Arc<Served>, ServeError> {
        self.models.get(name).ok_or_else(|| ServeError::UnknownModel(name.to_string(), self.models.keys().cloned().collect::<Vec<_>>().join(", ")))
    }

    /// Whether every model has a version to serve.
    pub fn ready(&self) -> bool {
        self.models.values().all(|m| !m.versions().is_empty())
    }

    /// Brings a model's versions in line with its directory: loads wanted versions that are
    /// not loaded (each published as soon as it is ready), then, once every wanted version is
    /// loaded, drops the others. Returns the first load error (kept in the version's state;
    /// the versions already served go on).
    pub fn refresh(&self, m: &Served) -> crate::Result<()> {
        let on_disk: BTreeMap<u64, PathBuf> = match &m.spec.source {
            Source::Path(p) => BTreeMap::from([(1, p.clone())]),
            Source::Versions { base, .. } => version_dirs(base)?,
        };
        let wanted = match &m.spec.source {
            Source::Path(_) => BTreeSet::from([1]),
            Source::Versions { policy, .. } => policy.select(&on_disk.keys().copied().collect()),
        };
        let mut first_err = None;
        for &v in &wanted {
            if m.versions().contains_key(&v) {
                continue;
            }
            let dir = &on_disk[&v];
            let print = fingerprint(dir);
            if m.failed.lock().unwrap_or_else(|e| e.into_inner()).get(&v) == Some(&print) {
                continue;
            }
            m.set_state(v, "LOADING", None);
            let started = Instant::now();
            match self.load_version(&m.spec.name, v, dir) {
                Ok(ver) => {
                    let mut map = (*m.versions()).clone();
                    map.insert(v, Arc::new(ver));
                    m.publish(map);
                    m.set_state(v, "AVAILABLE", None);
                    m.failed.lock().unwrap_or_else(|e| e.into_inner()).remove(&v);
                    self.metrics.loads.with_label_values(&[&m.spec.name, "ok"]).inc();
                    tracing::info!(model = %m.spec.name, version = v, path = %dir.display(), ms = started.elapsed().as_millis() as u64, "version loaded");
                }
                Err(e) => {
                    m.set_state(v, "END", Some(e.to_string()));
                    m.failed.lock().unwrap_or_else(|e| e.into_inner()).insert(v, print);
                    self.metrics.loads.with_label_values(&[&m.spec.name, "error"]).inc();
                    tracing::error!(model = %m.spec.name, version = v, path = %dir.display(), error = %e, "version failed to load");
                    first_err.get_or_insert(e);
                }
            }
        }
        let map = m.versions();
        if !wanted.is_empty() && wanted.iter().all(|v| map.contains_key(v)) && map.keys().any(|v| !wanted.contains(v)) {
            let (keep, drop): (BTreeMap<_, _>, BTreeMap<_, _>) = (*map).clone().into_iter().partition(|(v, _)| wanted.contains(v));
            m.publish(keep);
            for v in drop.keys() {
                m.set_state(*v, "END", None);
                tracing::info!(model = %m.spec.name, version = v, "version unloaded: it drains its requests, then frees its memory");
            }
        }
        self.metrics.versions_loaded.set(self.models.values().map(|m| m.versions().len() as i64).sum());
        first_err.map_or(Ok(()), Err)
    }

    /// Loads one version: graph and signatures, constants, API, warm-up run, workers.
    fn load_version(&self, name: &str, number: u64, dir: &Path) -> crate::Result<Version> {
        let path = model_path(dir)?;
        let loaded = crate::import::load(&path, &self.settings.load)?;
        let (kind, signatures, chosen) = (loaded.kind.clone(), loaded.signatures.clone(), loaded.signature.clone());
        let model = Model::from_graph_with(&self.ctx, loaded.graph, self.settings.load.precision)?;
        let inputs = model.inputs();
        let optional = inputs
            .iter()
            .filter(|i| model.graph().node(super::signature::node_name(&i.name)).is_some_and(|n| n.op == "PlaceholderWithDefault"))
            .map(|i| i.name.clone())
            .collect();
        let mut api = ModelApi::new(&kind, signatures, chosen, inputs, optional, model.outputs());
        if self.settings.warmup {
            warm_up(&model, &mut api);
        }
        let model = Arc::new(model);
        let queue = Queue::start(name, model.clone(), &self.settings.queue, self.metrics.clone(), &self.workers).map_err(|e| crate::Error::Other(format!("cannot start the workers: {e}")))?;
        Ok(Version { number, path, api, model, queue })
    }

    /// Drops every version (at shutdown): their workers finish their queues and exit.
    pub fn close(&self) {
        for m in self.models.values() {
            m.publish(BTreeMap::new());
        }
    }

    /// Publishes GPU memory to the metrics (at each scrape).
    pub fn update_memory_metrics(&self) {
        self.metrics.model_memory.reset();
        for (name, m) in &self.models {
            for (v, ver) in m.versions().iter() {
                let mem = ver.model.memory();
                for (kind, bytes) in [("weights", mem.weights), ("activations", mem.activations), ("staging", mem.staging)] {
                    self.metrics.model_memory.with_label_values(&[name, &v.to_string(), kind]).set(bytes as i64);
                }
            }
        }
        self.metrics.gpu_memory.set(self.ctx.memory_bytes() as i64);
    }
}

/// Runs the default signature once with zeros (unknown dims 1), to compile pipelines and make
/// the batch-1 plan before the version is published, and learns the outputs' dtypes and shapes
/// the signature does not declare. A model that cannot run on zeros is served all the same.
fn warm_up(model: &Model, api: &mut ModelApi) {
    let Ok(sig) = api.signature("", None).cloned() else { return };
    let mut feeds = Vec::new();
    let mut batch = false;
    for i in &sig.inputs {
        let (Some(dtype), Some(shape)) = (i.dtype, i.shape.as_ref()) else { return };
        if dtype == DType::String || shape.iter().map(|d| d.unwrap_or(1)).product::<usize>() > 1 << 24 {
            return;
        }
        batch |= shape.first().is_some_and(|d| d.is_none());
        let Ok(t) = Tensor::zeros(dtype, shape.iter().map(|d| d.unwrap_or(1)).collect()) else { return };
        feeds.push((i.tensor.clone(), t));
    }
    let f: Vec<(&str, &Tensor)> = feeds.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let names: Vec<&str> = sig.outputs.iter().map(|o| o.tensor.as_str()).collect();
    match model.run(&f, &names) {
        Ok(outs) => api.learn_outputs(&sig.key, &outs, batch),
        Err(e) => tracing::debug!(error = %e, "warm-up run failed (the model is served all the same)"),
    }
}

/// The numbered version directories of a base path.
pub fn version_dirs(base: &Path) -> crate::Result<BTreeMap<u64, PathBuf>> {
    let rd = std::fs::read_dir(base).map_err(|e| crate::Error::io(base, e))?;
    let mut out = BTreeMap::new();
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(v) = name.to_str().filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).and_then(|s| s.parse::<u64>().ok()) else { continue };
        if e.path().is_dir() {
            out.insert(v, e.path());
        }
    }
    Ok(out)
}

/// Whether a directory is a base path of numbered versions rather than a model itself.
pub fn is_base_path(dir: &Path) -> bool {
    dir.is_dir() && model_path(dir).is_err() && version_dirs(dir).is_ok_and(|v| !v.is_empty())
}

/// The model a version directory holds: the directory itself when it is a SavedModel, a TF.js
/// model or a checkpoint directory; else its one `.pb` file (a frozen graph).
pub fn model_path(dir: &Path) -> crate::Result<PathBuf> {
    if !dir.is_dir() {
        return Ok(dir.to_path_buf());
    }
    if ["saved_model.pb", "model.json", "checkpoint"].iter().any(|f| dir.join(f).is_file()) {
        return Ok(dir.to_path_buf());
    }
    let rd = std::fs::read_dir(dir).map_err(|e| crate::Error::io(dir, e))?;
    let pbs: Vec<PathBuf> = rd.flatten().map(|e| e.path()).filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "pb")).collect();
    match pbs.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(crate::Error::InvalidModel(format!("{}: no model (saved_model.pb, model.json, a checkpoint, or one frozen .pb file)", dir.display()))),
        _ => Err(crate::Error::InvalidModel(format!("{}: {} .pb files; a version directory holds one model", dir.display(), pbs.len()))),
    }
}

/// The newest modification time and total size of a directory's files (two levels deep): a
/// version that failed to load is tried again when it changes.
fn fingerprint(dir: &Path) -> (SystemTime, u64) {
    let mut newest = SystemTime::UNIX_EPOCH;
    let mut size = 0;
    let mut visit = |p: &Path| {
        if let Ok(md) = std::fs::metadata(p) {
            newest = newest.max(md.modified().unwrap_or(SystemTime::UNIX_EPOCH));
            size += md.len();
        }
    };
    visit(dir);
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        visit(&e.path());
        if e.path().is_dir() {
            for f in std::fs::read_dir(e.path()).into_iter().flatten().flatten() {
                visit(&f.path());
            }
        }
    }
    (newest, size)
}
