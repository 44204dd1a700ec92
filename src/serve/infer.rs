//! The path of an inference request, shared by both protocols: find the model version, decode
//! the body (on the blocking pool: JSON and images can be large), queue the run, wait for it
//! within the request's time, encode the answer (blocking pool again). Every request is counted
//! and timed once, whatever ends it; an error is logged with what was wrong.
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;

use super::error::ServeError;
use super::registry::{Version, Want};
use super::worker::Job;
use super::State;
use crate::image::ImageOptions;
use crate::tensor::Tensor;

/// A request decoded against a signature: feeds by graph tensor (sorted by name), fetches as
/// (key in the answer, graph tensor).
#[derive(Debug)]
pub struct Decoded {
    pub signature: String,
    pub feeds: Vec<(String, Tensor)>,
    pub fetches: Vec<(String, String)>,
    /// Whether each feed's input declares an unknown first dim (a batch dim).
    pub batch_dims: Vec<bool>,
    /// TensorFlow Serving's row format (`instances` → `predictions`): the number of instances.
    pub rows: Option<usize>,
    /// KServe's request id, echoed.
    pub id: Option<String>,
}

impl Decoded {
    /// A decoded request; feeds (with whether their input has a batch dim) are sorted by name,
    /// so that requests feeding the same inputs batch together.
    pub fn new(signature: String, mut feeds: Vec<(String, Tensor, bool)>, fetches: Vec<(String, String)>, rows: Option<usize>, id: Option<String>) -> Decoded {
        feeds.sort_by(|a, b| a.0.cmp(&b.0));
        let (feeds, batch_dims) = feeds.into_iter().map(|(n, t, b)| ((n, t), b)).unzip();
        Decoded { signature, feeds, fetches, batch_dims, rows, id }
    }
}

/// Which protocol a request spoke (a metrics label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    TfServing,
    KServe,
}

impl Protocol {
    pub fn label(self) -> &'static str {
        match self {
            Protocol::TfServing => "tfserving",
            Protocol::KServe => "kserve",
        }
    }
}

/// Counts and times a request once: when it is answered, or — dropped unanswered, its client
/// gone — as status 499.
pub struct Observed {
    state: Arc<State>,
    protocol: Protocol,
    model: String,
    version: String,
    start: Instant,
    done: bool,
}

impl Observed {
    pub fn new(state: &Arc<State>, protocol: Protocol) -> Observed {
        state.registry.metrics.in_flight.inc();
        Observed { state: state.clone(), protocol, model: String::new(), version: String::new(), start: Instant::now(), done: false }
    }

    /// The model label: a name the server serves (never a client's arbitrary string).
    pub fn model(&mut self, name: &str) {
        if self.state.registry.models.contains_key(name) {
            self.model = name.to_string();
        }
    }

    pub fn version(&mut self, v: u64) {
        self.version = v.to_string();
    }

    fn record(&mut self, status: u16, error: Option<&str>) {
        self.done = true;
        let m = &self.state.registry.metrics;
        m.in_flight.dec();
        let status_s = status.to_string();
        m.requests.with_label_values(&[&self.model, &self.version, self.protocol.label(), &status_s]).inc();
        let secs = self.start.elapsed().as_secs_f64();
        m.request_seconds.with_label_values(&[&self.model, self.protocol.label()]).observe(secs);
        let ms = secs * 1e3;
        match error {
            None => tracing::debug!(model = %self.model, version = %self.version, protocol = self.protocol.label(), status, ms, "request"),
            Some(e) if status >= 500 => tracing::error!(model = %self.model, version = %self.version, protocol = self.protocol.label(), status, ms, error = e, "request failed"),
            Some(e) => tracing::warn!(model = %self.model, version = %self.version, protocol = self.protocol.label(), status, ms, error = e, "bad request"),
        }
    }

    /// Answers a request about `model` (metadata, status) with `r`, counted.
    pub fn respond(state: &Arc<State>, protocol: Protocol, model: &str, r: Result<String, ServeError>) -> Response {
        let mut o = Observed::new(state, protocol);
        o.model(model);
        o.answer(r)
    }

    /// Records the outcome and makes the response.
    pub fn answer(mut self, r: Result<String, ServeError>) -> Response {
        match r {
            Ok(body) => {
                self.record(200, None);
                json_response(StatusCode::OK, body)
            }
            Err(e) => {
                let msg = e.to_string();
                self.record(e.status().as_u16(), Some(&msg));
                e.into_response()
            }
        }
    }
}

impl Drop for Observed {
    fn drop(&mut self) {
        if !self.done {
            self.record(499, Some("the client went away before the answer"));
        }
    }
}

pub fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// Bodies and answers up to this size are decoded and encoded on the async runtime (tens of
/// microseconds); larger ones on the blocking pool.
const INLINE_BYTES: usize = 16 << 10;

/// Runs CPU work on the blocking pool when it is large (`big`), else right here.
async fn blocking<T: Send + 'static>(big: bool, f: impl FnOnce() -> Result<T, ServeError> + Send + 'static) -> Result<T, ServeError> {
    if !big {
        return f();
    }
    tokio::task::spawn_blocking(f).await.map_err(|e| ServeError::Internal(format!("a decoding task failed: {e}")))?
}

type DecodeFn = fn(&[u8], &super::signature::ModelApi, &str, &ImageOptions) -> Result<Decoded, ServeError>;
type EncodeFn = fn(&Version, &str, &Decoded, Vec<Tensor>) -> Result<String, ServeError>;

/// One inference request, from body to answer.
pub async fn infer(state: Arc<State>, protocol: Protocol, name: String, want: Want, body: Bytes, decode: DecodeFn, encode: EncodeFn) -> Response {
    let mut obs = Observed::new(&state, protocol);
    obs.model(&name);
    let deadline = Instant::now() + state.timeout;
    let version = match state.registry.model(&name).and_then(|m| m.get(&want)) {
        Ok(v) => v,
        Err(e) => return obs.answer(Err(e)),
    };
    obs.version(version.number);
    let r = tokio::time::timeout_at(deadline.into(), run(state.clone(), version, name, body, decode, encode)).await;
    let ms = state.timeout.as_millis() as u64;
    obs.answer(r.unwrap_or(Err(ServeError::Timeout(ms))))
}

async fn run(state: Arc<State>, version: Arc<Version>, name: String, body: Bytes, decode: DecodeFn, encode: EncodeFn) -> Result<String, ServeError> {
    let (v, n) = (version.clone(), name.clone());
    let images = state.images.clone();
    let decoded = blocking(body.len() > INLINE_BYTES, move || decode(&body, &v.api, &n, &images)).await?;
    let (tx, rx) = oneshot::channel();
    let fetch_names: Vec<String> = decoded.fetches.iter().map(|(_, t)| t.clone()).collect();
    let batch = match state.registry.settings.queue.batching {
        Some(_) => super::batching::key(&decoded.feeds, &fetch_names, &decoded.batch_dims),
        None => None,
    };
    // The job owns copies of the feeds' names and values; the decoded request keeps the rest
    // for encoding.
    let mut decoded = decoded;
    let feeds = std::mem::take(&mut decoded.feeds);
    version.queue.submit(Job { feeds, fetches: fetch_names, batch, reply: tx, enqueued: Instant::now() })?;
    let outs = rx.await.map_err(|_| ServeError::ShuttingDown)??;
    let v = version.clone();
    // About 12 bytes of JSON per value.
    let big = outs.iter().map(|t| t.len()).sum::<usize>() * 12 > INLINE_BYTES;
    blocking(big, move || encode(&v, &name, &decoded, outs)).await
}
