//! TensorFlow Serving's REST API: model status, metadata (`signature_def`), and `:predict` in
//! the row (`instances` → `predictions`) and columnar (`inputs` → `outputs`) formats, with
//! `signature_name` and `output_filter`.
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::response::Response;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::convert::{self, Target};
use super::decode::{self, JsonTensor};
use super::error::ServeError;
use super::infer::{self, Decoded, Observed, Protocol};
use super::registry::{Version, Want};
use super::signature::{self, batch_dim, ModelApi};
use super::{encode, State};
use crate::image::ImageOptions;
use crate::import::{SignatureInfo, SignatureTensor};
use crate::tensor::{DType, Tensor};

#[derive(Deserialize)]
struct PredictBody<'a> {
    #[serde(default)]
    signature_name: Option<String>,
    #[serde(borrow, default)]
    instances: Option<&'a RawValue>,
    #[serde(borrow, default)]
    inputs: Option<&'a RawValue>,
    #[serde(default)]
    output_filter: Option<Vec<String>>,
}

fn malformed(e: impl std::fmt::Display) -> ServeError {
    ServeError::Malformed(e.to_string())
}

/// A JSON object other than a `{"b64": …}` value: named inputs.
fn named(raw: &RawValue) -> Result<Option<BTreeMap<String, &RawValue>>, ServeError> {
    if !raw.get().trim_start().starts_with('{') {
        return Ok(None);
    }
    let m: BTreeMap<String, &RawValue> = serde_json::from_str(raw.get()).map_err(malformed)?;
    let b64 = m.len() == 1 && m.get("b64").is_some_and(|v| v.get().trim_start().starts_with('"'));
    Ok(if b64 { None } else { Some(m) })
}

fn parse(input: &str, raw: &RawValue) -> Result<JsonTensor, ServeError> {
    decode::parse_tensor(raw.get()).map_err(|e| ServeError::bad_input(input, e))
}

/// Decodes a `:predict` body against a model's signatures.
pub fn decode_predict(body: &[u8], api: &ModelApi, model: &str, images: &ImageOptions) -> Result<Decoded, ServeError> {
    let text = decode::quote_non_finite(body);
    let b: PredictBody = serde_json::from_slice(&text).map_err(malformed)?;
    let sig = api.signature(model, b.signature_name.as_deref())?;
    // Values by the name the request gives.
    let (values, rows): (Vec<(String, JsonTensor)>, Option<usize>) = match (b.instances, b.inputs) {
        (Some(_), Some(_)) => return Err(malformed("give either \"instances\" (row format) or \"inputs\" (columnar format), not both")),
        (None, None) => return Err(malformed("the body needs \"instances\" (row format) or \"inputs\" (columnar format)")),
        (Some(inst), None) => {
            let list: Vec<&RawValue> = serde_json::from_str(inst.get()).map_err(|e| malformed(format!("\"instances\" must be a list: {e}")))?;
            if list.is_empty() {
                return Err(malformed("\"instances\" is empty"));
            }
            let n = list.len();
            (instances(sig, list)?, Some(n))
        }
        (None, Some(inp)) => match named(inp)? {
            Some(m) => (m.into_iter().map(|(k, v)| Ok((k.clone(), parse(&k, v)?))).collect::<Result<_, ServeError>>()?, None),
            None => (vec![(only_input(sig)?.key.clone(), parse(&only_input(sig)?.key, inp)?)], None),
        },
    };
    let mut feeds: Vec<(String, Tensor, bool)> = Vec::with_capacity(values.len());
    for (name, v) in values {
        let spec = signature::input(sig, &name)?;
        if feeds.iter().any(|(t, ..)| *t == spec.tensor) {
            return Err(ServeError::bad_input(&name, "given twice (by its key and by its tensor name)"));
        }
        let t = convert::to_tensor(v, &Target { input: &name, dtype: spec.dtype, shape: spec.shape.as_deref() }, images)?;
        feeds.push((spec.tensor.clone(), t, batch_dim(spec)));
    }
    signature::check_all_fed(api, sig, &feeds)?;
    let fetches = signature::fetches(sig, b.output_filter.as_deref())?;
    Ok(Decoded::new(sig.key.clone(), feeds, fetches, rows, None))
}

fn only_input(sig: &SignatureInfo) -> Result<&SignatureTensor, ServeError> {
    match sig.inputs.as_slice() {
        [one] => Ok(one),
        _ => Err(malformed(format!(
            "signature '{}' has {} inputs: give them as an object keyed by input ({})",
            sig.key,
            sig.inputs.len(),
            sig.inputs.iter().map(|i| i.key.as_str()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// The row format: each instance is a value of the only input, or an object of inputs; each
/// input's rows are stacked.
fn instances(sig: &SignatureInfo, list: Vec<&RawValue>) -> Result<Vec<(String, JsonTensor)>, ServeError> {
    let mut per_input: Vec<(String, Vec<JsonTensor>)> = Vec::new();
    for (i, inst) in list.iter().enumerate() {
        match named(inst)? {
            None => {
                let key = &only_input(sig)?.key;
                if i > 0 && per_input.first().map(|p| &p.0) != Some(key) {
                    return Err(malformed("instances mix objects of named inputs with bare values"));
                }
                if per_input.is_empty() {
                    per_input.push((key.clone(), Vec::with_capacity(list.len())));
                }
                per_input[0].1.push(parse(key, inst)?);
            }
            Some(m) => {
                if i == 0 {
                    per_input = m.keys().map(|k| (k.clone(), Vec::with_capacity(list.len()))).collect();
                }
                if m.len() != per_input.len() || !per_input.iter().all(|(k, _)| m.contains_key(k)) {
                    return Err(malformed(format!("instance {i} names other inputs than instance 0: every instance gives the same inputs")));
                }
                for (k, rows) in per_input.iter_mut() {
                    rows.push(parse(k, m[k.as_str()])?);
                }
            }
        }
    }
    per_input.into_iter().map(|(k, rows)| Ok((k.clone(), JsonTensor::stack(&k, rows)?))).collect()
}

/// The answer to `:predict`.
pub fn encode_predict(_v: &Version, _model: &str, d: &Decoded, outs: Vec<Tensor>) -> Result<String, ServeError> {
    let mut s = String::with_capacity(64 + outs.iter().map(|t| t.len() * 12).sum::<usize>());
    match d.rows {
        Some(n) => {
            for ((k, _), t) in d.fetches.iter().zip(&outs) {
                if t.shape().first() != Some(&n) {
                    return Err(ServeError::BadOutput {
                        output: k.clone(),
                        msg: format!("has shape {:?}, not {n} rows: the row format (\"instances\") needs outputs with a row per instance; use the columnar format (\"inputs\")", t.shape()),
                    });
                }
            }
            s.push_str("{\"predictions\": [");
            for r in 0..n {
                if r > 0 {
                    s.push(',');
                }
                value_or_object(&mut s, d, &outs, |s, t| encode::row(s, t, r));
            }
            s.push_str("]}");
        }
        None => {
            s.push_str("{\"outputs\": ");
            value_or_object(&mut s, d, &outs, encode::nested);
            s.push('}');
        }
    }
    Ok(s)
}

/// One output's value alone, or an object of every output's value by key (TensorFlow Serving's
/// form for one and for several outputs).
fn value_or_object(s: &mut String, d: &Decoded, outs: &[Tensor], value: impl Fn(&mut String, &Tensor)) {
    if let [t] = outs {
        return value(s, t);
    }
    s.push('{');
    for (i, ((k, _), t)) in d.fetches.iter().zip(outs).enumerate() {
        if i > 0 {
            s.push(',');
        }
        encode::key(s, k);
        s.push(':');
        value(s, t);
    }
    s.push('}');
}

/// TensorFlow's `DataType` name (`DT_FLOAT`).
pub fn dt_name(d: Option<DType>) -> &'static str {
    d.and_then(|d| crate::proto::DataType::try_from(d.to_tf()).ok()).map_or("DT_INVALID", |d| d.as_str_name())
}

fn tensor_info(t: &SignatureTensor) -> Value {
    let shape = match &t.shape {
        Some(dims) => json!({ "dim": dims.iter().map(|d| json!({ "size": d.map_or(-1, |v| v as i64).to_string(), "name": "" })).collect::<Vec<_>>(), "unknown_rank": false }),
        None => json!({ "dim": [], "unknown_rank": true }),
    };
    json!({ "dtype": dt_name(t.dtype), "tensor_shape": shape, "name": t.tensor })
}

fn signature_def(s: &SignatureInfo) -> Value {
    let map = |ts: &[SignatureTensor]| ts.iter().map(|t| (t.key.clone(), tensor_info(t))).collect::<serde_json::Map<_, _>>();
    json!({ "inputs": map(&s.inputs), "outputs": map(&s.outputs), "method_name": s.method })
}

// --- handlers ------------------------------------------------------------------------------

/// Splits `NAME:verb`; only `predict` is served.
fn verb(segment: &str) -> Result<&str, ServeError> {
    match segment.rsplit_once(':') {
        Some((head, "predict")) => Ok(head),
        Some((_, v @ ("classify" | "regress"))) => Err(ServeError::Malformed(format!(":{v} takes tf.Example inputs, which wgtf does not serve; use :predict"))),
        Some((_, v)) => Err(ServeError::NotFound(format!("no method ':{v}' (POST …:predict)"))),
        None => Err(ServeError::NotFound("POST to …/models/NAME:predict or …/versions/N:predict".into())),
    }
}

fn version_number(s: &str) -> Result<u64, ServeError> {
    s.parse().map_err(|_| ServeError::NotFound(format!("version '{s}' is not a number")))
}

async fn predict(state: Arc<State>, name: String, want: Want, body: Bytes) -> Response {
    infer::infer(state, Protocol::TfServing, name, want, body, decode_predict, encode_predict).await
}

/// `POST /v1/models/NAME:predict`
pub async fn predict_latest(AxState(s): AxState<Arc<State>>, Path(seg): Path<String>, body: Bytes) -> Response {
    match verb(&seg) {
        Ok(name) => predict(s.clone(), name.to_string(), Want::Latest, body).await,
        Err(e) => Observed::new(&s, Protocol::TfServing).answer(Err(e)),
    }
}

/// `POST /v1/models/NAME/versions/N:predict`
pub async fn predict_version(AxState(s): AxState<Arc<State>>, Path((name, seg)): Path<(String, String)>, body: Bytes) -> Response {
    match verb(&seg).and_then(version_number) {
        Ok(v) => predict(s.clone(), name, Want::Number(v), body).await,
        Err(e) => Observed::new(&s, Protocol::TfServing).answer(Err(e)),
    }
}

/// `POST /v1/models/NAME/labels/LABEL:predict`
pub async fn predict_label(AxState(s): AxState<Arc<State>>, Path((name, seg)): Path<(String, String)>, body: Bytes) -> Response {
    match verb(&seg) {
        Ok(label) => predict(s.clone(), name, Want::Label(label.to_string()), body).await,
        Err(e) => Observed::new(&s, Protocol::TfServing).answer(Err(e)),
    }
}

/// Version states: all of a model's, or one version's.
fn status(s: &State, name: &str, version: Option<&str>) -> Result<String, ServeError> {
    let m = s.registry.model(name)?;
    let states = m.states();
    let one = version.map(version_number).transpose()?;
    if let Some(v) = one {
        if !states.contains_key(&v) {
            return Err(ServeError::UnknownVersion { model: name.to_string(), version: v.to_string(), loaded: states.keys().map(|k| k.to_string()).collect::<Vec<_>>().join(", ") });
        }
    }
    let list: Vec<Value> = states
        .iter()
        .rev()
        .filter(|(v, _)| one.is_none_or(|o| o == **v))
        .map(|(v, st)| {
            let (code, msg) = match &st.error {
                Some(e) => ("UNKNOWN", e.as_str()),
                None => ("OK", ""),
            };
            json!({ "version": v.to_string(), "state": st.state, "status": { "error_code": code, "error_message": msg } })
        })
        .collect();
    Ok(json!({ "model_version_status": list }).to_string())
}

/// `GET /v1/models/NAME`
pub async fn status_latest(AxState(s): AxState<Arc<State>>, Path(name): Path<String>) -> Response {
    Observed::respond(&s, Protocol::TfServing, &name, status(&s, &name, None))
}

/// `GET /v1/models/NAME/versions/N`
pub async fn status_version(AxState(s): AxState<Arc<State>>, Path((name, v)): Path<(String, String)>) -> Response {
    Observed::respond(&s, Protocol::TfServing, &name, status(&s, &name, Some(&v)))
}

fn metadata(s: &State, name: &str, want: &Want) -> Result<String, ServeError> {
    let v = s.registry.model(name)?.get(want)?;
    let sigs: serde_json::Map<String, Value> = v.api.signatures.iter().map(|sig| (sig.key.clone(), signature_def(sig))).collect();
    Ok(json!({
        "model_spec": { "name": name, "signature_name": "", "version": v.number.to_string() },
        "metadata": { "signature_def": { "signature_def": sigs } }
    })
    .to_string())
}

/// `GET /v1/models/NAME/metadata`
pub async fn metadata_latest(AxState(s): AxState<Arc<State>>, Path(name): Path<String>) -> Response {
    Observed::respond(&s, Protocol::TfServing, &name, metadata(&s, &name, &Want::Latest))
}

/// `GET /v1/models/NAME/versions/N/metadata`
pub async fn metadata_version(AxState(s): AxState<Arc<State>>, Path((name, v)): Path<(String, String)>) -> Response {
    Observed::respond(&s, Protocol::TfServing, &name, version_number(&v).and_then(|v| metadata(&s, &name, &Want::Number(v))))
}

/// `GET /v1/models/NAME/labels/LABEL/metadata`
pub async fn metadata_label(AxState(s): AxState<Arc<State>>, Path((name, label)): Path<(String, String)>) -> Response {
    Observed::respond(&s, Protocol::TfServing, &name, metadata(&s, &name, &Want::Label(label)))
}
