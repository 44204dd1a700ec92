//! `wgtf serve`: a model server speaking TensorFlow Serving's REST API and KServe's Open
//! Inference Protocol v2, over axum on tokio. An application layer above the library: it loads
//! models with `wgtf::import::load` and `Model::from_graph` into one shared `Context`, and runs
//! them with `Model::run` on worker threads (never on the async executor).
//!
//! - [`registry`]: models, numbered versions, hot reload (load beside, swap, drain, free).
//! - [`tfserving`], [`kserve`]: the two protocols' endpoints, request decoding and answers.
//! - [`decode`], [`convert`], [`encode`]: JSON (and `b64` images) ↔ tensors; [`error`]: typed errors with
//!   their HTTP statuses.
//! - [`worker`], [`batching`]: per-version queues, worker threads, dynamic batching.
//! - [`metrics`]: Prometheus metrics. [`config`]: the CLI's options and model config files.
pub mod batching;
pub mod config;
pub mod convert;
pub mod decode;
pub mod encode;
pub mod error;
pub mod infer;
pub mod kserve;
pub mod metrics;
pub mod registry;
pub mod signature;
pub mod tfserving;
pub mod worker;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State as AxState};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::oneshot;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use batching::Batching;
pub use config::ServeArgs;
pub use registry::{ModelSpec, Policy, Source};

use crate::error::{Error, Result};
use crate::image::ImageOptions;
use crate::{Context, ContextOptions, LoadOptions};
use registry::{LoadSettings, Registry};
use worker::QueueOptions;

/// Everything `wgtf serve` is told.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub host: String,
    /// 0: any free port (see [`Server::addr`]).
    pub port: u16,
    pub models: Vec<ModelSpec>,
    /// How often base paths are looked at for new versions (`None`: never).
    pub poll: Option<Duration>,
    /// Dynamic batching (`None`: every request runs alone).
    pub batching: Option<Batching>,
    /// Worker threads per model version.
    pub workers: usize,
    /// Requests queued per model version before 503.
    pub max_queue: usize,
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    /// How `b64` images become tensors.
    pub images: ImageOptions,
    pub load: LoadOptions,
    /// The GPU adapter (`wgtf devices`).
    pub adapter: Option<usize>,
    pub warmup: bool,
    /// Stop on SIGTERM and SIGINT (the CLI); else only [`Server::stop`] stops it.
    pub handle_signals: bool,
}

impl ServeConfig {
    /// A loopback server on any free port for these models, batching off.
    pub fn new(models: Vec<ModelSpec>) -> ServeConfig {
        ServeConfig {
            host: "127.0.0.1".into(),
            port: 0,
            models,
            poll: Some(Duration::from_secs(2)),
            batching: None,
            workers: 1,
            max_queue: 256,
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 64 << 20,
            images: ImageOptions::default(),
            load: LoadOptions::default(),
            adapter: None,
            warmup: true,
            handle_signals: false,
        }
    }
}

/// What the handlers share.
pub struct State {
    pub registry: Registry,
    pub images: ImageOptions,
    pub timeout: Duration,
    pub max_body: usize,
    pub shutting_down: AtomicBool,
}

/// The endpoints.
fn router(state: Arc<State>) -> Router {
    let (timeout, limit) = (state.timeout, state.max_body);
    Router::new()
        // TensorFlow Serving REST API (POST paths end in `:predict`).
        .route("/v1/models/{model}", get(tfserving::status_latest).post(tfserving::predict_latest))
        .route("/v1/models/{model}/metadata", get(tfserving::metadata_latest))
        .route("/v1/models/{model}/versions/{version}", get(tfserving::status_version).post(tfserving::predict_version))
        .route("/v1/models/{model}/versions/{version}/metadata", get(tfserving::metadata_version))
        .route("/v1/models/{model}/labels/{label}", post(tfserving::predict_label))
        .route("/v1/models/{model}/labels/{label}/metadata", get(tfserving::metadata_label))
        // KServe Open Inference Protocol v2 (REST).
        .route("/v2", get(kserve::server_metadata))
        .route("/v2/health/live", get(kserve::live))
        .route("/v2/health/ready", get(kserve::ready))
        .route("/v2/models/{model}", get(kserve::metadata_latest))
        .route("/v2/models/{model}/ready", get(kserve::ready_latest))
        .route("/v2/models/{model}/infer", post(kserve::infer_latest))
        .route("/v2/models/{model}/versions/{version}", get(kserve::metadata_version))
        .route("/v2/models/{model}/versions/{version}/ready", get(kserve::ready_version))
        .route("/v2/models/{model}/versions/{version}/infer", post(kserve::infer_version))
        // Operations.
        .route("/metrics", get(metrics_text))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(limit))
        // A backstop behind each request's own deadline (slow bodies included).
        .layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, timeout + Duration::from_secs(1)))
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn_with_state(state.clone(), json_errors))
        .layer(CatchPanicLayer::new())
        .with_state(state)
}

/// `GET /metrics`
async fn metrics_text(AxState(s): AxState<Arc<State>>) -> Response {
    s.registry.update_memory_metrics();
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"))], s.registry.metrics.render()).into_response()
}

/// Error answers made outside the handlers (unknown routes, wrong methods, the body limit, the
/// time limit, a caught panic) get the protocols' JSON error body too, and are counted.
async fn json_errors(AxState(s): AxState<Arc<State>>, req: Request, next: Next) -> Response {
    let protocol = match req.uri().path() {
        p if p.starts_with("/v1/") => "tfserving",
        p if p.starts_with("/v2") => "kserve",
        _ => "http",
    };
    let res = next.run(req).await;
    let status = res.status();
    let json = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || json {
        return res;
    }
    let msg = match status {
        StatusCode::PAYLOAD_TOO_LARGE => error::ServeError::TooLarge(s.max_body).to_string(),
        StatusCode::GATEWAY_TIMEOUT | StatusCode::REQUEST_TIMEOUT => error::ServeError::Timeout(s.timeout.as_millis() as u64).to_string(),
        StatusCode::NOT_FOUND => "no such endpoint (see the README's Serving section)".to_string(),
        _ => {
            let text = axum::body::to_bytes(res.into_body(), 4096).await.unwrap_or_default();
            let text = String::from_utf8_lossy(&text);
            format!("{}{}{text}", status.canonical_reason().unwrap_or("error"), if text.is_empty() { "" } else { ": " })
        }
    };
    s.registry.metrics.requests.with_label_values(&["", "", protocol, status.as_str()]).inc();
    tracing::warn!(status = status.as_u16(), error = %msg, "request refused");
    error::error_response(status, &msg)
}

/// Looks at the base paths for new versions every `every`.
async fn poll_versions(state: Arc<State>, every: Duration) {
    let versioned: Vec<_> = state.registry.models.values().filter(|m| matches!(m.spec.source, Source::Versions { .. })).cloned().collect();
    if versioned.is_empty() {
        return;
    }
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        for m in &versioned {
            let (s, m) = (state.clone(), m.clone());
            let name = m.spec.name.clone();
            match tokio::task::spawn_blocking(move || s.registry.refresh(&m)).await {
                Ok(Ok(())) => {}
                // Load errors are logged where they happen; this is the base path itself.
                Ok(Err(e)) => tracing::debug!(model = %name, error = %e, "refresh"),
                Err(e) => tracing::error!(model = %name, error = %e, "refresh task failed"),
            }
        }
    }
}

/// SIGTERM or SIGINT.
async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<()>>>,
}

impl Server {
    /// Loads every model (an error names the model), binds the address and serves on a thread
    /// of its own. Returns once the server accepts connections.
    pub fn start(config: ServeConfig) -> Result<Server> {
        let ctx = Context::new_with(ContextOptions { adapter: config.adapter, batch_invariant: config.batching.is_some(), ..Default::default() })?;
        Server::start_in(ctx, config)
    }

    /// As [`Server::start`], in a context of the caller's (made with
    /// `ContextOptions::batch_invariant` when batching is on, for batched results to be the
    /// unbatched ones bit for bit).
    pub fn start_in(ctx: Context, config: ServeConfig) -> Result<Server> {
        let metrics = Arc::new(metrics::Metrics::new());
        let settings = LoadSettings {
            load: config.load.clone(),
            queue: QueueOptions { workers: config.workers, capacity: config.max_queue, batching: config.batching.clone() },
            warmup: config.warmup,
        };
        let registry = Registry::load(ctx, config.models.clone(), settings, metrics)?;
        let listener = std::net::TcpListener::bind((config.host.as_str(), config.port)).map_err(|e| Error::Other(format!("cannot listen on {}:{}: {e}", config.host, config.port)))?;
        listener.set_nonblocking(true).map_err(|e| Error::Other(format!("listener: {e}")))?;
        let addr = listener.local_addr().map_err(|e| Error::Other(format!("listener: {e}")))?;
        let state = Arc::new(State { registry, images: config.images.clone(), timeout: config.request_timeout, max_body: config.max_body_bytes, shutting_down: AtomicBool::new(false) });
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("wgtf-serve").build().map_err(|e| Error::Other(format!("tokio runtime: {e}")))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let st = state.clone();
        let (poll, signals) = (config.poll, config.handle_signals);
        let thread = std::thread::Builder::new()
            .name("wgtf-serve".into())
            .spawn(move || {
                let served = runtime.block_on(async {
                    let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| Error::Other(format!("listener: {e}")))?;
                    let poller = poll.map(|p| tokio::spawn(poll_versions(st.clone(), p)));
                    let st2 = st.clone();
                    let shutdown = async move {
                        tokio::select! {
                            _ = stopped => {}
                            _ = signal(), if signals => {}
                        }
                        st2.shutting_down.store(true, Ordering::SeqCst);
                        tracing::info!("shutting down: no new connections; finishing the requests in flight");
                    };
                    let r = axum::serve(listener, router(st.clone())).with_graceful_shutdown(shutdown).await;
                    if let Some(p) = poller {
                        p.abort();
                    }
                    r.map_err(|e| Error::Other(format!("server: {e}")))
                });
                // A version load in progress finishes; then every version is dropped, its
                // workers finish their queues and exit.
                runtime.shutdown_timeout(Duration::from_secs(60));
                st.registry.close();
                st.registry.workers.join_all();
                tracing::info!("stopped");
                served
            })
            .map_err(|e| Error::Other(format!("cannot start the server thread: {e}")))?;
        Ok(Server { addr, state, stop: Some(stop), thread: Some(thread) })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The GPU context its models live in.
    pub fn context(&self) -> &Context {
        &self.state.registry.ctx
    }

    /// Its models.
    pub fn registry(&self) -> &Registry {
        &self.state.registry
    }

    /// Stops accepting, finishes the requests in flight and the queued work, and returns.
    pub fn stop(mut self) -> Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.join()
    }

    /// Serves until a signal (with `handle_signals`) or [`Server::stop`] ends it.
    pub fn wait(mut self) -> Result<()> {
        self.join()
    }

    fn join(&mut self) -> Result<()> {
        match self.thread.take() {
            Some(t) => t.join().unwrap_or_else(|_| Err(Error::Other("the server thread panicked".into()))),
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = self.join();
    }
}

/// `wgtf serve`: logs to stderr (`RUST_LOG`, default info), prints the address on stdout, serves
/// until SIGTERM or SIGINT, and returns once the work in flight is done.
pub fn run(config: ServeConfig) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).try_init();
    let server = Server::start(config)?;
    for (name, m) in &server.registry().models {
        let versions: Vec<String> = m.versions().keys().map(|v| v.to_string()).collect();
        tracing::info!(model = %name, versions = %versions.join(","), "serving");
    }
    println!("wgtf serve: listening on http://{}", server.addr());
    server.wait()
}
