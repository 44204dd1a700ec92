//! What can go wrong with a request, typed, each with its HTTP status. Both protocols answer an
//! error with the same body, `{"error": "…"}` (TensorFlow Serving's REST API and KServe's Open
//! Inference Protocol agree on it), naming what was wrong.
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An error answering one request.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The body is not JSON, or not the JSON the endpoint takes.
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("model '{0}' is not served here (models: {1})")]
    UnknownModel(String, String),
    #[error("model '{model}' has no version {version} loaded (loaded: {loaded})")]
    UnknownVersion { model: String, version: String, loaded: String },
    #[error("model '{model}' has no signature '{signature}' (signatures: {have})")]
    UnknownSignature { model: String, signature: String, have: String },
    /// An input or output name that the signature (or graph) does not have.
    #[error("{what} '{name}' is not an {what} of signature '{signature}' ({what}s: {have})")]
    UnknownTensor { what: &'static str, name: String, signature: String, have: String },
    #[error("input '{input}' of signature '{signature}' is missing (inputs: {have})")]
    MissingInput { input: String, signature: String, have: String },
    /// A value that does not fit the input: shape, dtype, range, a ragged list, a bad image.
    #[error("input '{input}': {msg}")]
    BadInput { input: String, msg: String },
    #[error("output '{output}': {msg}")]
    BadOutput { output: String, msg: String },
    #[error("the request body is larger than the limit of {0} bytes")]
    TooLarge(usize),
    #[error("model '{0}' has too many requests queued; retry later")]
    QueueFull(String),
    #[error("model '{0}' is not ready: no version is loaded yet")]
    NotReady(String),
    #[error("the server is shutting down")]
    ShuttingDown,
    #[error("{0}")]
    NotFound(String),
    #[error("the request took longer than the limit of {0} ms")]
    Timeout(u64),
    /// The model refused the feeds (shape, dtype, a plan that these shapes cannot make).
    #[error("model '{model}': {source}")]
    Run { model: String, source: crate::Error },
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServeError {
    pub fn status(&self) -> StatusCode {
        use ServeError::*;
        match self {
            Malformed(_) | UnknownSignature { .. } | UnknownTensor { .. } | MissingInput { .. } | BadInput { .. } | BadOutput { .. } => {
                StatusCode::BAD_REQUEST
            }
            UnknownModel(..) | UnknownVersion { .. } | NotFound(_) => StatusCode::NOT_FOUND,
            TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            QueueFull(_) | NotReady(_) | ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Run { source, .. } => match source {
                crate::Error::Feed { .. } | crate::Error::UnknownTensor(_) | crate::Error::Tensor(_) | crate::Error::Node { .. }
                | crate::Error::NeedsValues { .. } => {
                    StatusCode::BAD_REQUEST
                }
                crate::Error::OutOfMemory(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn bad_input(input: &str, msg: impl Into<String>) -> Self {
        ServeError::BadInput { input: input.to_string(), msg: msg.into() }
    }
}

/// The JSON error body both protocols use.
pub fn error_body(msg: &str) -> String {
    serde_json::json!({ "error": msg }).to_string()
}

/// A JSON error response; 503s say when to retry.
pub fn error_response(status: StatusCode, msg: &str) -> Response {
    let mut r = (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], error_body(msg)).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    r
}

impl IntoResponse for ServeError {
    fn into_response(self) -> Response {
        error_response(self.status(), &self.to_string())
    }
}
