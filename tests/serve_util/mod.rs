//! Helpers of the `wgtf serve` tests: servers on 127.0.0.1 (ephemeral ports), an HTTP client
//! (ureq) that returns every status as a value, exact float extraction from JSON answers, and
//! reference runs in a context of the test's own.
#![allow(dead_code)]
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use wgtf::serve::{ModelSpec, ServeConfig, Server, Source};
use wgtf::{Context, ContextOptions, Tensor};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A GPU context (batch-invariant when `batch_invariant`); no adapter fails loudly, as in
/// tests/common.
pub fn context(batch_invariant: bool) -> Context {
    match Context::new_with(ContextOptions { batch_invariant, ..Default::default() }) {
        Ok(c) => c,
        Err(e) => panic!("\n\n*** NO GPU ADAPTER: {e}\n*** GPU tests cannot run. Install a Vulkan driver (apt-get install mesa-vulkan-drivers libvulkan1) and run again.\n\n"),
    }
}

/// A model served from a path (version 1).
pub fn model(name: &str, path: impl AsRef<Path>) -> ModelSpec {
    ModelSpec { name: name.into(), source: Source::Path(root().join(path)), labels: Default::default() }
}

/// Starts a server with these models; `edit` adjusts the configuration.
pub fn start(models: Vec<ModelSpec>, edit: impl FnOnce(&mut ServeConfig)) -> Server {
    let mut cfg = ServeConfig::new(models);
    edit(&mut cfg);
    let ctx = context(cfg.batching.is_some());
    Server::start_in(ctx, cfg).expect("the server starts")
}

/// An HTTP client of one server. Every status comes back as a value; each request has a time
/// limit (a hung server fails the test instead of hanging it).
#[derive(Clone)]
pub struct Http {
    agent: ureq::Agent,
    base: String,
}

pub struct Answer {
    pub status: u16,
    pub body: String,
    pub content_type: String,
    pub retry_after: Option<String>,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    /// The `error` of a JSON error answer.
    pub fn error(&self) -> String {
        assert!(self.content_type.starts_with("application/json"), "{} {}", self.content_type, self.body);
        self.json()["error"].as_str().unwrap_or_else(|| panic!("no \"error\" in {}", self.body)).to_string()
    }
}

impl Http {
    pub fn new(addr: SocketAddr) -> Http {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(120))).build().into();
        Http { agent, base: format!("http://{addr}") }
    }

    fn answer(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
        let mut r = r.unwrap_or_else(|e| panic!("HTTP request failed: {e}"));
        let h = |n: &str| r.headers().get(n).and_then(|v| v.to_str().ok()).map(|s| s.to_string());
        let (content_type, retry_after) = (h("content-type").unwrap_or_default(), h("retry-after"));
        let status = r.status().as_u16();
        let body = r.body_mut().with_config().limit(64 << 20).read_to_string().unwrap_or_else(|e| panic!("reading the body: {e}"));
        Answer { status, body, content_type, retry_after }
    }

    pub fn get(&self, path: &str) -> Answer {
        Http::answer(self.agent.get(format!("{}{path}", self.base)).call())
    }

    pub fn post(&self, path: &str, body: &str) -> Answer {
        Http::answer(self.agent.post(format!("{}{path}", self.base)).header("content-type", "application/json").send(body))
    }

    /// A request that may fail at the connection (after the server stopped).
    pub fn try_get(&self, path: &str) -> Result<u16, String> {
        self.agent.get(format!("{}{path}", self.base)).call().map(|r| r.status().as_u16()).map_err(|e| e.to_string())
    }
}

/// The JSON value at `key` of an answer, as its raw text.
pub fn raw<'a>(body: &'a str, key: &str) -> &'a str {
    let fields: std::collections::BTreeMap<String, &'a serde_json::value::RawValue> = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    fields.get(key).unwrap_or_else(|| panic!("no '{key}' in {body}")).get()
}

/// Every number of a JSON fragment, read as f32 from its text (exact: the server writes
/// floats in their shortest round-trip form; `NaN`, `Infinity`, `-Infinity` too).
pub fn floats(json: &str) -> Vec<f32> {
    json.split(|c: char| "[]{},:\"".contains(c) || c.is_whitespace())
        .filter(|t| !t.is_empty() && (t.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == 'N' || c == 'I')))
        .map(|t| t.parse::<f32>().unwrap_or_else(|_| panic!("not a number: {t}")))
        .collect()
}

/// Bit patterns, every NaN as one (JSON's `NaN` carries no sign or payload).
pub fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| if x.is_nan() { f32::NAN.to_bits() } else { x.to_bits() }).collect()
}

/// A JSON list of f32 values (shortest round-trip form).
pub fn json_list(t: &Tensor) -> String {
    fn go(out: &mut String, v: &[f32], shape: &[usize]) {
        match shape.split_first() {
            None => out.push_str(&format!("{:?}", v[0])),
            Some((&n, rest)) => {
                let stride: usize = rest.iter().product();
                out.push('[');
                for j in 0..n {
                    if j > 0 {
                        out.push(',');
                    }
                    go(out, &v[j * stride..], rest);
                }
                out.push(']');
            }
        }
    }
    let mut s = String::new();
    go(&mut s, &t.to_f32_vec().unwrap(), t.shape());
    s
}

/// Rows `a..b` of the digits test set, `[b - a, 8, 8, 1]`.
pub fn digits(a: usize, b: usize) -> Tensor {
    let x = Tensor::read_npy(root().join("models/digits/test_x.npy")).unwrap();
    let v = x.to_f32_vec().unwrap();
    Tensor::from_f32(vec![b - a, 8, 8, 1], v[a * 64..b * 64].to_vec()).unwrap()
}

/// Base64 of a file.
pub fn b64_file(path: impl AsRef<Path>) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(root().join(path)).unwrap())
}

/// A metric's value in a Prometheus text exposition (the first series whose labels contain
/// all of `labels`).
pub fn metric(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.split([' ', '{']).next() == Some(name))
        .find(|l| labels.iter().all(|x| l.contains(x)))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}
