//! KServe's Open Inference Protocol (v2, REST): server and model health and metadata, and
//! `infer` with typed tensors (`name`, `shape`, `datatype`, `data` flat or nested). A model's
//! default signature is its v2 interface; a request may pick another with
//! `"parameters": {"signature_name": "…"}`. An image-shaped numeric input also takes `BYTES`
//! elements: base64 PNG or JPEG images, decoded as TensorFlow Serving's `b64` values are.
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::Response;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::convert::{self, Target};
use super::decode::{self, Leaf};
use super::error::ServeError;
use super::infer::{self, json_response, Decoded, Observed, Protocol};
use super::registry::{Version, Want};
use super::signature::{self, batch_dim, ModelApi};
use super::{encode, State};
use crate::image::ImageOptions;
use crate::import::SignatureTensor;
use crate::tensor::{DType, Tensor};

/// KServe's datatype names.
const DATATYPES: [(&str, DType); 13] = [
    ("BOOL", DType::Bool),
    ("UINT8", DType::U8),
    ("UINT16", DType::U16),
    ("UINT32", DType::U32),
    ("UINT64", DType::U64),
    ("INT8", DType::I8),
    ("INT16", DType::I16),
    ("INT32", DType::I32),
    ("INT64", DType::I64),
    ("FP16", DType::F16),
    ("BF16", DType::BF16),
    ("FP32", DType::F32),
    ("FP64", DType::F64),
];

/// The v2 datatype of a dtype (`BYTES` for strings).
pub fn datatype(d: Option<DType>) -> &'static str {
    match d {
        Some(DType::String) => "BYTES",
        Some(d) => DATATYPES.iter().find(|(_, x)| *x == d).map_or("BYTES", |(n, _)| n),
        None => "FP32",
    }
}

fn parse_datatype(input: &str, s: &str) -> Result<DType, ServeError> {
    if s == "BYTES" {
        return Ok(DType::String);
    }
    DATATYPES.iter().find(|(n, _)| *n == s).map(|(_, d)| *d).ok_or_else(|| {
        ServeError::bad_input(input, format!("unknown datatype '{s}' (datatypes: BYTES, {})", DATATYPES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")))
    })
}

#[derive(Deserialize)]
struct InferBody<'a> {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
    #[serde(borrow)]
    inputs: Vec<InferInput<'a>>,
    #[serde(default)]
    outputs: Option<Vec<RequestedOutput>>,
}

#[derive(Deserialize)]
struct Parameters {
    #[serde(default)]
    signature_name: Option<String>,
}

#[derive(Deserialize)]
struct InferInput<'a> {
    name: String,
    shape: Vec<i64>,
    datatype: String,
    #[serde(borrow)]
    data: &'a RawValue,
    #[serde(default, rename = "parameters")]
    _parameters: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct RequestedOutput {
    name: String,
    #[serde(default, rename = "parameters")]
    _parameters: Option<IgnoredAny>,
}

/// Decodes an `infer` body against a model's signatures.
pub fn decode_infer(body: &[u8], api: &ModelApi, model: &str, images: &ImageOptions) -> Result<Decoded, ServeError> {
    let text = decode::quote_non_finite(body);
    let b: InferBody = serde_json::from_slice(&text).map_err(|e| ServeError::Malformed(e.to_string()))?;
    let sig = api.signature(model, b.parameters.as_ref().and_then(|p| p.signature_name.as_deref()))?;
    if b.inputs.is_empty() {
        return Err(ServeError::Malformed("\"inputs\" is empty".into()));
    }
    let mut feeds: Vec<(String, Tensor, bool)> = Vec::with_capacity(b.inputs.len());
    for i in &b.inputs {
        let spec = signature::input(sig, &i.name)?;
        if feeds.iter().any(|(t, ..)| *t == spec.tensor) {
            return Err(ServeError::bad_input(&i.name, "given twice"));
        }
        feeds.push((spec.tensor.clone(), input(i, spec, images)?, batch_dim(spec)));
    }
    signature::check_all_fed(api, sig, &feeds)?;
    let names: Option<Vec<String>> = b.outputs.map(|o| o.into_iter().map(|o| o.name).collect());
    let fetches = signature::fetches(sig, names.as_deref())?;
    Ok(Decoded::new(sig.key.clone(), feeds, fetches, None, b.id))
}

/// One input tensor: its declared datatype and shape, then the data (flat or nested).
fn input(i: &InferInput, spec: &SignatureTensor, images: &ImageOptions) -> Result<Tensor, ServeError> {
    let name = i.name.as_str();
    let dt = parse_datatype(name, &i.datatype)?;
    let mut shape = Vec::with_capacity(i.shape.len());
    for &d in &i.shape {
        shape.push(usize::try_from(d).map_err(|_| ServeError::bad_input(name, format!("shape {:?} has a negative dim", i.shape)))?);
    }
    let count = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).ok_or_else(|| ServeError::bad_input(name, format!("shape {shape:?} has too many elements")))?;
    let image = dt == DType::String && spec.dtype.is_some_and(|d| d != DType::String);
    if let Some(want) = spec.dtype {
        if want != dt && !image {
            return Err(ServeError::bad_input(name, format!("the input is {}, the request says {}", datatype(Some(want)), i.datatype)));
        }
    }
    let mut v = decode::parse_tensor(i.data.get()).map_err(|e| ServeError::bad_input(name, e))?;
    if v.leaves.len() != count {
        return Err(ServeError::bad_input(name, format!("shape {shape:?} has {count} elements, \"data\" has {}", v.leaves.len())));
    }
    if image {
        // BYTES elements for a numeric input: base64 images.
        for (k, l) in v.leaves.values().iter_mut().enumerate() {
            if let Leaf::Str(s) = l {
                *l = Leaf::Bytes(decode::base64_decode(s).map_err(|e| ServeError::bad_input(name, format!("element {k}: {e}")))?);
            }
        }
    }
    v.shape = shape;
    let dtype = if image { spec.dtype } else { Some(dt) };
    convert::to_tensor(v, &Target { input: name, dtype, shape: spec.shape.as_deref() }, images)
}

/// The answer to `infer`.
pub fn encode_infer(v: &Version, model: &str, d: &Decoded, outs: Vec<Tensor>) -> Result<String, ServeError> {
    let mut s = String::with_capacity(128 + outs.iter().map(|t| t.len() * 12).sum::<usize>());
    s.push_str("{\"model_name\":");
    encode::key(&mut s, model);
    s.push_str(",\"model_version\":");
    encode::key(&mut s, &v.number.to_string());
    if let Some(id) = &d.id {
        s.push_str(",\"id\":");
        encode::key(&mut s, id);
    }
    s.push_str(",\"outputs\":[");
    for (i, ((k, _), t)) in d.fetches.iter().zip(&outs).enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str("{\"name\":");
        encode::key(&mut s, k);
        s.push_str(",\"datatype\":\"");
        s.push_str(datatype(Some(t.dtype())));
        s.push_str("\",\"shape\":");
        encode::dims(&mut s, &t.shape().iter().map(|&d| Some(d)).collect::<Vec<_>>());
        s.push_str(",\"data\":");
        encode::flat(&mut s, t);
        s.push('}');
    }
    s.push_str("]}");
    Ok(s)
}

// --- handlers ------------------------------------------------------------------------------

fn version_number(s: &str) -> Result<u64, ServeError> {
    s.parse().map_err(|_| ServeError::NotFound(format!("version '{s}' is not a number")))
}

/// `GET /v2`
pub async fn server_metadata() -> Response {
    json_response(StatusCode::OK, json!({ "name": "wgtf", "version": env!("CARGO_PKG_VERSION"), "extensions": [] }).to_string())
}

/// `GET /v2/health/live`: the process answers.
pub async fn live() -> Response {
    json_response(StatusCode::OK, json!({ "live": true }).to_string())
}

/// `GET /v2/health/ready`: every model has a version loaded (503 otherwise, and while shutting
/// down).
pub async fn ready(AxState(s): AxState<Arc<State>>) -> Response {
    let ready = s.registry.ready() && !s.shutting_down.load(std::sync::atomic::Ordering::SeqCst);
    json_response(if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, json!({ "ready": ready }).to_string())
}

fn tensor_meta(t: &SignatureTensor) -> Value {
    let shape: Vec<i64> = match &t.shape {
        Some(d) => d.iter().map(|d| d.map_or(-1, |v| v as i64)).collect(),
        None => vec![-1],
    };
    json!({ "name": t.key, "datatype": datatype(t.dtype), "shape": shape })
}

fn model_metadata(s: &State, name: &str, want: &Want) -> Result<String, ServeError> {
    let m = s.registry.model(name)?;
    let v = m.get(want)?;
    let sig = v.api.signature(name, None)?;
    let versions: Vec<String> = m.versions().keys().map(|k| k.to_string()).collect();
    Ok(json!({
        "name": name,
        "versions": versions,
        "platform": v.api.platform,
        "inputs": sig.inputs.iter().map(tensor_meta).collect::<Vec<_>>(),
        "outputs": sig.outputs.iter().map(tensor_meta).collect::<Vec<_>>(),
    })
    .to_string())
}

/// `GET /v2/models/NAME`
pub async fn metadata_latest(AxState(s): AxState<Arc<State>>, Path(name): Path<String>) -> Response {
    Observed::respond(&s, Protocol::KServe, &name, model_metadata(&s, &name, &Want::Latest))
}

/// `GET /v2/models/NAME/versions/N`
pub async fn metadata_version(AxState(s): AxState<Arc<State>>, Path((name, v)): Path<(String, String)>) -> Response {
    Observed::respond(&s, Protocol::KServe, &name, version_number(&v).and_then(|v| model_metadata(&s, &name, &Want::Number(v))))
}

fn model_ready(s: &State, name: &str, want: &Want) -> Result<String, ServeError> {
    s.registry.model(name)?.get(want)?;
    Ok(json!({ "name": name, "ready": true }).to_string())
}

/// `GET /v2/models/NAME/ready`
pub async fn ready_latest(AxState(s): AxState<Arc<State>>, Path(name): Path<String>) -> Response {
    Observed::respond(&s, Protocol::KServe, &name, model_ready(&s, &name, &Want::Latest))
}

/// `GET /v2/models/NAME/versions/N/ready`
pub async fn ready_version(AxState(s): AxState<Arc<State>>, Path((name, v)): Path<(String, String)>) -> Response {
    Observed::respond(&s, Protocol::KServe, &name, version_number(&v).and_then(|v| model_ready(&s, &name, &Want::Number(v))))
}

/// `POST /v2/models/NAME/infer`
pub async fn infer_latest(AxState(s): AxState<Arc<State>>, Path(name): Path<String>, body: Bytes) -> Response {
    infer::infer(s, Protocol::KServe, name, Want::Latest, body, decode_infer, encode_infer).await
}

/// `POST /v2/models/NAME/versions/N/infer`
pub async fn infer_version(AxState(s): AxState<Arc<State>>, Path((name, v)): Path<(String, String)>, body: Bytes) -> Response {
    match version_number(&v) {
        Ok(v) => infer::infer(s, Protocol::KServe, name, Want::Number(v), body, decode_infer, encode_infer).await,
        Err(e) => Observed::new(&s, Protocol::KServe).answer(Err(e)),
    }
}
