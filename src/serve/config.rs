//! `wgtf serve`'s options (clap; the CLI flattens [`ServeArgs`]) and the models they name:
//! `--model NAME=PATH`, TensorFlow Serving's `--model-base-path DIR --model-name NAME`, or its
//! `--model-config-file` (the text-format `ModelServerConfig` TensorFlow Serving reads, parsed
//! with prost-reflect). TensorFlow Serving's underscore spellings are accepted as aliases, so
//! its command lines carry over.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use prost::Message;

use super::batching::Batching;
use super::registry::{is_base_path, model_path, version_dirs, ModelSpec, Policy, Source};
use super::ServeConfig;
use crate::error::{Error, Result};
use crate::image::{parse_list, parse_number, ImageOptions};
use crate::LoadOptions;

#[allow(clippy::all, dead_code)]
mod pb {
    include!(concat!(env!("OUT_DIR"), "/tensorflow.serving.rs"));
}

/// Options of `wgtf serve`.
#[derive(clap::Args, Clone, Debug)]
pub struct ServeArgs {
    /// How float tensors are held on the GPU: f32, or f16 (half the memory and bandwidth,
    /// computed in f32; needs the adapter's shader-f16).
    #[arg(long, default_value = "f32")]
    pub precision: crate::Precision,
    /// Address to listen on (0.0.0.0 in a container).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port (0: any free port; the address is printed on stdout).
    #[arg(long, default_value_t = 8501, alias = "rest_api_port")]
    pub port: u16,
    /// A model to serve: NAME=PATH, PATH anything `wgtf run` loads, or a directory of numbered
    /// versions (TensorFlow Serving's layout: the highest is served, new ones are picked up).
    #[arg(long = "model", value_name = "NAME=PATH")]
    pub models: Vec<String>,
    /// TensorFlow Serving's layout: the name of the model in --model-base-path.
    #[arg(long, alias = "model_name", requires = "model_base_path")]
    pub model_name: Option<String>,
    /// TensorFlow Serving's layout: a directory of numbered version directories.
    #[arg(long, alias = "model_base_path", value_name = "DIR", requires = "model_name")]
    pub model_base_path: Option<PathBuf>,
    /// TensorFlow Serving's model config file (text-format ModelServerConfig) for several
    /// models: names, base paths, version policies, version labels.
    #[arg(long, alias = "model_config_file", value_name = "FILE")]
    pub model_config_file: Option<PathBuf>,
    /// Seconds between looks for new versions in base paths (0: never).
    #[arg(long, default_value_t = 2, alias = "file_system_poll_wait_seconds")]
    pub poll_seconds: u64,
    /// Run concurrent compatible requests of a model as one batch (see --max-batch-size).
    #[arg(long, alias = "enable_batching")]
    pub enable_batching: bool,
    /// Batching: the most rows in one run.
    #[arg(long, default_value_t = 32)]
    pub max_batch_size: usize,
    /// Batching: how long a worker holding a request waits for others to join its batch (0:
    /// only requests already queued join).
    #[arg(long, default_value_t = 0)]
    pub batch_timeout_micros: u64,
    /// Worker threads per model version (concurrent runs of one model).
    #[arg(long, default_value_t = 1)]
    pub model_workers: usize,
    /// Requests queued per model version before new ones get 503 (Retry-After).
    #[arg(long, default_value_t = 256)]
    pub max_queue: usize,
    /// Whole-request time limit, in milliseconds (504 beyond).
    #[arg(long, default_value_t = 30000)]
    pub request_timeout_ms: u64,
    /// The largest request body, in bytes (413 beyond).
    #[arg(long, default_value_t = 64 << 20)]
    pub max_body_bytes: usize,
    /// Images (b64 values): each pixel (0..255) is multiplied by SCALE ...
    #[arg(long, default_value = "1/255")]
    pub scale: String,
    /// ... then MEAN is subtracted (one value or one per channel) ...
    #[arg(long, default_value = "0")]
    pub mean: String,
    /// ... and the result divided by STD (one value or one per channel).
    #[arg(long, default_value = "1")]
    pub std: String,
    /// SavedModel: a tag of the meta graph to load (default serve); may repeat.
    #[arg(long = "tag", value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Serve a new version without first running it once on zeros.
    #[arg(long)]
    pub no_warmup: bool,
}

/// Model names become URL segments and metric labels: letters, digits, `_`, `-`, `.`.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty() && name.len() <= 128 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::Other(format!("model name '{name}': use 1 to 128 letters, digits, '_', '-' or '.'")))
    }
}

/// `NAME=PATH`: a model, or a base path of numbered versions.
pub fn parse_model_arg(s: &str) -> Result<ModelSpec> {
    let (name, path) = s.split_once('=').ok_or_else(|| Error::Other(format!("--model {s}: expected NAME=PATH")))?;
    check_name(name)?;
    let path = PathBuf::from(path);
    let source = if is_base_path(&path) { Source::Versions { base: path, policy: Policy::Latest(1) } } else { Source::Path(path) };
    Ok(ModelSpec { name: name.to_string(), source, labels: BTreeMap::new() })
}

/// Reads TensorFlow Serving's model config file (text-format `ModelServerConfig`).
pub fn read_model_config(path: &Path) -> Result<Vec<ModelSpec>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_model_config(&text).map_err(|e| Error::Other(format!("{}: {e}", path.display())))
}

/// Parses a text-format `ModelServerConfig`; relative base paths are taken as they are.
pub fn parse_model_config(text: &str) -> std::result::Result<Vec<ModelSpec>, String> {
    let pool = prost_reflect::DescriptorPool::decode(&include_bytes!(concat!(env!("OUT_DIR"), "/serving_descriptors.bin"))[..]).map_err(|e| e.to_string())?;
    let desc = pool.get_message_by_name("tensorflow.serving.ModelServerConfig").ok_or("no ModelServerConfig descriptor")?;
    let msg = prost_reflect::DynamicMessage::parse_text_format(desc, text).map_err(|e| format!("not a ModelServerConfig: {e}"))?;
    let cfg = pb::ModelServerConfig::decode(msg.encode_to_vec().as_slice()).map_err(|e| e.to_string())?;
    let Some(pb::model_server_config::Config::ModelConfigList(list)) = cfg.config else {
        return Err("no model_config_list".into());
    };
    let mut out = Vec::new();
    for c in list.config {
        check_name(&c.name).map_err(|e| e.to_string())?;
        if !c.model_platform.is_empty() && c.model_platform != "tensorflow" {
            return Err(format!("model '{}': model_platform '{}' (wgtf serves 'tensorflow' models)", c.name, c.model_platform));
        }
        if c.base_path.is_empty() {
            return Err(format!("model '{}': no base_path", c.name));
        }
        use pb::file_system_storage_path_source_config::servable_version_policy::PolicyChoice;
        let policy = match c.model_version_policy.and_then(|p| p.policy_choice) {
            None => Policy::Latest(1),
            Some(PolicyChoice::Latest(l)) => Policy::Latest((l.num_versions as usize).max(1)),
            Some(PolicyChoice::All(_)) => Policy::All,
            Some(PolicyChoice::Specific(s)) => Policy::Specific(s.versions.iter().map(|&v| u64::try_from(v).map_err(|_| format!("model '{}': version {v} is negative", c.name))).collect::<std::result::Result<_, _>>()?),
        };
        let mut labels = BTreeMap::new();
        for (l, v) in c.version_labels {
            labels.insert(l, u64::try_from(v).map_err(|_| format!("model '{}': label version {v} is negative", c.name))?);
        }
        out.push(ModelSpec { name: c.name, source: Source::Versions { base: PathBuf::from(c.base_path), policy }, labels });
    }
    Ok(out)
}

impl ServeArgs {
    /// The server's configuration (models checked for names, not yet loaded).
    pub fn to_config(&self, adapter: Option<usize>) -> Result<ServeConfig> {
        let mut models: Vec<ModelSpec> = self.models.iter().map(|m| parse_model_arg(m)).collect::<Result<_>>()?;
        if let (Some(name), Some(base)) = (&self.model_name, &self.model_base_path) {
            check_name(name)?;
            // A base path that holds a model itself (as KServe's /mnt/models may) serves it as
            // version 1.
            let is_model = base.is_dir() && version_dirs(base).is_ok_and(|v| v.is_empty()) && model_path(base).is_ok();
            let source = if is_model { Source::Path(base.clone()) } else { Source::Versions { base: base.clone(), policy: Policy::Latest(1) } };
            models.push(ModelSpec { name: name.clone(), source, labels: BTreeMap::new() });
        }
        if let Some(f) = &self.model_config_file {
            models.extend(read_model_config(f)?);
        }
        if models.is_empty() {
            return Err(Error::Other("no model to serve: --model NAME=PATH, --model-base-path DIR --model-name NAME, or --model-config-file FILE".into()));
        }
        for (i, m) in models.iter().enumerate() {
            if models[..i].iter().any(|o| o.name == m.name) {
                return Err(Error::Other(format!("model '{}' is given twice", m.name)));
            }
        }
        if self.max_batch_size == 0 || self.model_workers == 0 || self.max_queue == 0 {
            return Err(Error::Other("--max-batch-size, --model-workers and --max-queue must be at least 1".into()));
        }
        let images = ImageOptions { scale: parse_number(&self.scale)?, mean: parse_list(&self.mean)?, std: parse_list(&self.std)?, ..Default::default() };
        Ok(ServeConfig {
            host: self.host.clone(),
            port: self.port,
            models,
            poll: (self.poll_seconds > 0).then(|| Duration::from_secs(self.poll_seconds)),
            batching: self.enable_batching.then(|| Batching { max_batch_size: self.max_batch_size, batch_timeout: Duration::from_micros(self.batch_timeout_micros) }),
            workers: self.model_workers,
            max_queue: self.max_queue,
            request_timeout: Duration::from_millis(self.request_timeout_ms.max(1)),
            max_body_bytes: self.max_body_bytes,
            images,
            load: LoadOptions { tags: self.tags.clone(), precision: self.precision, ..Default::default() },
            adapter,
            warmup: !self.no_warmup,
            handle_signals: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensorflow_serving_model_config_files() {
        let text = r#"
model_config_list {
  config {
    name: 'digits'
    base_path: '/models/digits'
    model_platform: 'tensorflow'
    model_version_policy { specific { versions: 1 versions: 3 } }
    version_labels { key: 'stable' value: 1 }
    version_labels { key: 'canary' value: 3 }
  }
  config { name: "edges" base_path: "/models/edges" model_version_policy { latest { num_versions: 2 } } }
  config { name: "all" base_path: "/m" model_version_policy { all {} } }
}"#;
        let specs = parse_model_config(text).unwrap();
        assert_eq!(specs.len(), 3);
        assert_eq!(specs[0].source, Source::Versions { base: "/models/digits".into(), policy: Policy::Specific(vec![1, 3]) });
        assert_eq!(specs[0].labels, BTreeMap::from([("stable".into(), 1), ("canary".into(), 3)]));
        assert_eq!(specs[1].source, Source::Versions { base: "/models/edges".into(), policy: Policy::Latest(2) });
        assert_eq!(specs[2].source, Source::Versions { base: "/m".into(), policy: Policy::All });
        let e = parse_model_config("model_config_list { config { name: 'x' base_pth: '/a' } }").unwrap_err();
        assert!(e.contains("base_pth"), "{e}");
        assert!(parse_model_config("model_config_list { config { name: 'a/b' base_path: '/a' } }").is_err());
        assert!(parse_model_config("model_config_list { config { name: 'a' } }").unwrap_err().contains("no base_path"));
    }

    #[test]
    fn model_args() {
        let m = parse_model_arg("digits=models/digits/model.pb").unwrap();
        assert_eq!(m.source, Source::Path("models/digits/model.pb".into()));
        assert!(parse_model_arg("digits").is_err());
        assert!(parse_model_arg("a:b=x.pb").is_err());
    }
}
