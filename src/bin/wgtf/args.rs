//! The arguments of `wgtf` commands that need more than clap: model groups of `wgtf run`,
//! image options, checkpoint and SavedModel options.
use std::path::PathBuf;

use clap::ArgMatches;
use wgtf::{LoadOptions, Tensor};

pub(crate) struct Group {
    pub(crate) model: PathBuf,
    pub(crate) inputs: Vec<String>,
    pub(crate) outputs: Vec<String>,
}

/// Splits -i/-o flags into groups by the -m that precedes them.
pub(crate) fn groups(sub: &ArgMatches, model: Option<PathBuf>, models: Vec<PathBuf>, inputs: Vec<String>, outputs: Vec<String>) -> wgtf::Result<Vec<Group>> {
    let err = |m: &str| wgtf::Error::Other(m.to_string());
    if let Some(model) = model {
        if !models.is_empty() {
            return Err(err("give the model either as an argument or with -m, not both"));
        }
        return Ok(vec![Group { model, inputs, outputs }]);
    }
    if models.is_empty() {
        return Err(err("no model given: wgtf run MODEL -i NAME=IN.npy -o NAME=OUT.npy"));
    }
    let idx = |name: &str| -> Vec<usize> { sub.indices_of(name).map(|i| i.collect()).unwrap_or_default() };
    let m_idx = idx("models");
    let mut gs: Vec<Group> = models.into_iter().map(|model| Group { model, inputs: vec![], outputs: vec![] }).collect();
    let owner = |i: usize| -> wgtf::Result<usize> {
        m_idx.iter().rposition(|&m| m < i).ok_or_else(|| err("-i and -o must follow the -m they belong to"))
    };
    for (v, i) in inputs.into_iter().zip(idx("inputs")) {
        let g = owner(i)?;
        gs[g].inputs.push(v);
    }
    for (v, i) in outputs.into_iter().zip(idx("outputs")) {
        let g = owner(i)?;
        gs[g].outputs.push(v);
    }
    Ok(gs)
}

pub(crate) fn split_kv(s: &str) -> (&str, Option<&str>) {
    match s.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (s, None),
    }
}

/// Image inputs and classifier outputs of `wgtf run` (helpers in `wgtf::image`).
#[derive(clap::Args)]
pub(crate) struct ImageArgs {
    /// Resize image inputs to WIDTHxHEIGHT first (needed when the size differs from the model's).
    #[arg(long, value_name = "WxH")]
    resize: Option<String>,
    /// Image inputs: each pixel (0..255) is multiplied by SCALE (e.g. 1/255, 1, 2/255) ...
    #[arg(long, default_value = "1/255")]
    scale: String,
    /// ... then MEAN is subtracted (one value or one per channel: 0.485,0.456,0.406) ...
    #[arg(long, default_value = "0")]
    mean: String,
    /// ... and the result divided by STD (one value or one per channel).
    #[arg(long, default_value = "1")]
    std: String,
    /// Labels, one per line: printed outputs also show their top classes.
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,
    /// How many top classes to print (default 5 with --labels).
    #[arg(long, value_name = "K")]
    top: Option<usize>,
}

impl ImageArgs {
    #[allow(clippy::type_complexity)]
    pub(crate) fn options(&self) -> wgtf::Result<(wgtf::image::ImageOptions, Option<(usize, Option<Vec<String>>)>)> {
        use wgtf::image::{parse_list, parse_number, parse_size};
        let opts = wgtf::image::ImageOptions {
            resize: self.resize.as_deref().map(parse_size).transpose()?,
            scale: parse_number(&self.scale)?,
            mean: parse_list(&self.mean)?,
            std: parse_list(&self.std)?,
            channels: None,
        };
        let labels = self.labels.as_ref().map(wgtf::image::read_labels).transpose()?;
        let top = match (self.top, labels) {
            (None, None) => None,
            (k, labels) => Some((k.unwrap_or(5), labels)),
        };
        Ok((opts, top))
    }
}

/// Options for checkpoints and SavedModels (run, info, freeze).
#[derive(clap::Args, Default)]
pub(crate) struct PersistArgs {
    /// SavedModel: the signature whose keys may name feeds and fetches (default serving_default).
    #[arg(long)]
    signature: Option<String>,
    /// SavedModel: a tag of the meta graph to load (default serve); may repeat.
    #[arg(long = "tag", value_delimiter = ',')]
    tags: Vec<String>,
    /// Restore the variables from this checkpoint (prefix or directory) instead of the model's.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Restore only these variables; the others that the outputs need must be given with --var.
    #[arg(long = "restore", value_delimiter = ',')]
    restore: Option<Vec<String>>,
    /// CHECKPOINT_KEY=VARIABLE: restore a variable from another checkpoint key; may repeat.
    #[arg(long = "rename")]
    rename: Vec<String>,
    /// VARIABLE=FILE.npy: the value of a variable; may repeat.
    #[arg(long = "var")]
    vars: Vec<String>,
}

impl PersistArgs {
    pub(crate) fn load_options(&self, prefix: Option<String>) -> wgtf::Result<LoadOptions> {
        let mut r = wgtf::import::RestoreOptions { checkpoint: self.checkpoint.clone(), only: self.restore.clone(), ..Default::default() };
        for kv in &self.rename {
            let (k, v) = split_kv(kv);
            let v = v.ok_or_else(|| wgtf::Error::Other(format!("--rename {kv}: expected CHECKPOINT_KEY=VARIABLE")))?;
            r.rename.insert(k.to_string(), v.to_string());
        }
        for kv in &self.vars {
            let (k, v) = split_kv(kv);
            let v = v.ok_or_else(|| wgtf::Error::Other(format!("--var {kv}: expected VARIABLE=FILE.npy")))?;
            r.values.insert(k.to_string(), Tensor::read_npy(v)?);
        }
        Ok(LoadOptions { prefix, signature: self.signature.clone(), tags: self.tags.clone(), restore: r, ..Default::default() })
    }
}
