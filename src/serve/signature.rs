//! What a served model offers its clients: its signatures, each naming inputs and outputs by
//! key. A SavedModel's (or TF.js model's) signatures come from the file; a frozen graph gets one
//! `serving_default` signature made of its placeholders and likely outputs, keyed by node name
//! (`x` for `x:0`). Requests may name a tensor by its key or by its graph name (`x` or `x:0`).
use std::collections::HashSet;

use super::error::ServeError;
use crate::import::{ModelKind, SignatureInfo, SignatureTensor};
use crate::runtime::model::InputInfo;
use crate::tensor::Tensor;

/// The signature TensorFlow Serving uses when a request names none.
pub const DEFAULT_SIGNATURE: &str = "serving_default";

/// A served model's signatures.
#[derive(Clone, Debug)]
pub struct ModelApi {
    pub signatures: Vec<SignatureInfo>,
    /// The signature used when a request names none.
    pub default: String,
    /// KServe's `platform` (`tensorflow_savedmodel`, `tensorflow_graphdef`, `tensorflowjs`).
    pub platform: &'static str,
    /// Graph tensors a request may leave out (`PlaceholderWithDefault`).
    pub optional: HashSet<String>,
}

/// `x:0` → `x`.
pub fn node_name(tensor: &str) -> &str {
    tensor.strip_suffix(":0").unwrap_or(tensor)
}

/// Whether `name` designates `t`: its key, or its graph tensor with or without `:0`.
pub fn names(t: &SignatureTensor, name: &str) -> bool {
    t.key == name || t.tensor == name || node_name(&t.tensor) == name
}

fn list(ts: &[SignatureTensor]) -> String {
    if ts.is_empty() {
        return "none".into();
    }
    ts.iter().map(|t| t.key.as_str()).collect::<Vec<_>>().join(", ")
}

impl ModelApi {
    /// The API of a loaded model: the file's signatures, or one made from the graph's
    /// placeholders (`inputs`; `optional`: those with a default) and likely outputs.
    pub fn new(kind: &ModelKind, signatures: Vec<SignatureInfo>, chosen: Option<String>, inputs: Vec<InputInfo>, optional: HashSet<String>, outputs: Vec<String>) -> ModelApi {
        let platform = match kind {
            ModelKind::SavedModel { .. } => "tensorflow_savedmodel",
            ModelKind::TfjsGraph { .. } => "tensorflowjs",
            ModelKind::GraphDef | ModelKind::MetaGraph { .. } => "tensorflow_graphdef",
        };
        if !signatures.is_empty() {
            let default = chosen
                .filter(|c| signatures.iter().any(|s| &s.key == c))
                .or_else(|| signatures.iter().find(|s| s.key == DEFAULT_SIGNATURE).map(|s| s.key.clone()))
                .unwrap_or_else(|| signatures[0].key.clone());
            return ModelApi { signatures, default, platform, optional };
        }
        let spec = |name: String, dtype, shape| SignatureTensor { key: node_name(&name).to_string(), tensor: name, dtype, shape };
        let sig = SignatureInfo {
            key: DEFAULT_SIGNATURE.into(),
            method: "tensorflow/serving/predict".into(),
            inputs: inputs.into_iter().map(|i| spec(i.name, i.dtype, i.shape)).collect(),
            outputs: outputs.into_iter().map(|n| spec(n, None, None)).collect(),
        };
        ModelApi { signatures: vec![sig], default: DEFAULT_SIGNATURE.into(), platform, optional }
    }

    /// The signature a request names (`None` or `""`: the default).
    pub fn signature(&self, model: &str, name: Option<&str>) -> Result<&SignatureInfo, ServeError> {
        let want = name.filter(|n| !n.is_empty()).unwrap_or(&self.default);
        self.signatures.iter().find(|s| s.key == want).ok_or_else(|| ServeError::UnknownSignature {
            model: model.to_string(),
            signature: want.to_string(),
            have: self.signatures.iter().map(|s| s.key.as_str()).collect::<Vec<_>>().join(", "),
        })
    }

    /// Fills in the dtypes and shapes of outputs the signature does not declare from a run's
    /// results (`feeds_batch`: whether the inputs' first dims were unknown; then an output's
    /// first dim is shown unknown too).
    pub fn learn_outputs(&mut self, signature: &str, outs: &[Tensor], feeds_batch: bool) {
        let Some(sig) = self.signatures.iter_mut().find(|s| s.key == signature) else { return };
        for (o, t) in sig.outputs.iter_mut().zip(outs) {
            o.dtype.get_or_insert(t.dtype());
            if o.shape.is_none() {
                let mut s: Vec<Option<usize>> = t.shape().iter().map(|&d| Some(d)).collect();
                if feeds_batch {
                    if let Some(d) = s.first_mut() {
                        *d = None;
                    }
                }
                o.shape = Some(s);
            }
        }
    }
}

/// The signature input a request's name designates.
pub fn input<'a>(sig: &'a SignatureInfo, name: &str) -> Result<&'a SignatureTensor, ServeError> {
    sig.inputs.iter().find(|t| names(t, name)).ok_or_else(|| ServeError::UnknownTensor {
        what: "input",
        name: name.to_string(),
        signature: sig.key.clone(),
        have: list(&sig.inputs),
    })
}

/// What a request fetches: `(key in the response, graph tensor)`. A name that is no output of
/// the signature is a graph tensor (TensorFlow Serving's `output_filter` on a frozen graph
/// may name any tensor; running it checks it exists). `None`: the signature's outputs.
pub fn fetches(sig: &SignatureInfo, names_given: Option<&[String]>) -> Result<Vec<(String, String)>, ServeError> {
    let Some(given) = names_given else {
        if sig.outputs.is_empty() {
            return Err(ServeError::UnknownTensor { what: "output", name: String::new(), signature: sig.key.clone(), have: "none: name outputs in the request".into() });
        }
        return Ok(sig.outputs.iter().map(|o| (o.key.clone(), o.tensor.clone())).collect());
    };
    let mut out: Vec<(String, String)> = Vec::with_capacity(given.len());
    for n in given {
        if n.is_empty() || n.len() > 1024 {
            return Err(ServeError::bad_input("output_filter", "an output name must have 1 to 1024 characters"));
        }
        let tensor = sig.outputs.iter().find(|o| names(o, n)).map(|o| o.tensor.clone()).unwrap_or_else(|| n.clone());
        if out.iter().any(|(k, _)| k == n) {
            return Err(ServeError::BadOutput { output: n.clone(), msg: "named twice".into() });
        }
        out.push((n.clone(), tensor));
    }
    if out.is_empty() {
        return Err(ServeError::bad_input("output_filter", "names no output"));
    }
    Ok(out)
}

/// Whether an input declares an unknown first dim (a batch dim).
pub fn batch_dim(t: &SignatureTensor) -> bool {
    t.shape.as_ref().and_then(|s| s.first()).is_some_and(|d| d.is_none())
}

/// Inputs of the signature that a request must give but did not.
pub fn check_all_fed(api: &ModelApi, sig: &SignatureInfo, fed: &[(String, Tensor, bool)]) -> Result<(), ServeError> {
    for i in &sig.inputs {
        if !api.optional.contains(&i.tensor) && !fed.iter().any(|(t, ..)| *t == i.tensor) {
            return Err(ServeError::MissingInput { input: i.key.clone(), signature: sig.key.clone(), have: list(&sig.inputs) });
        }
    }
    Ok(())
}
