//! Prometheus metrics (`GET /metrics`, text format): requests by model, version, protocol and
//! status; latency histograms of the whole request, the queue, batch forming and the GPU run;
//! batch sizes; GPU memory per model version and in all; versions loaded. Labels hold only
//! names from the server's own configuration (an unknown model is counted as `""`), so a
//! client cannot grow the series without bound.
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

/// Every metric of a server, in its own registry.
pub struct Metrics {
    registry: Registry,
    pub requests: IntCounterVec,
    pub in_flight: IntGauge,
    pub request_seconds: HistogramVec,
    pub queue_seconds: HistogramVec,
    pub batch_seconds: HistogramVec,
    pub gpu_seconds: HistogramVec,
    pub batch_size: HistogramVec,
    pub batch_splits: IntCounterVec,
    pub queue_depth: IntGaugeVec,
    pub model_memory: IntGaugeVec,
    pub gpu_memory: IntGauge,
    pub versions_loaded: IntGauge,
    pub loads: IntCounterVec,
}

/// Latency buckets: 100 µs to about 100 s.
fn seconds() -> Vec<f64> {
    prometheus::exponential_buckets(1e-4, 2.0, 21).unwrap_or_else(|_| prometheus::DEFAULT_BUCKETS.to_vec())
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        // Names and labels are constants: registering them cannot fail.
        fn reg<T: prometheus::core::Collector + Clone + 'static>(r: &Registry, m: prometheus::Result<T>) -> T {
            let m = m.expect("valid metric options");
            r.register(Box::new(m.clone())).expect("metric registered once");
            m
        }
        let hist = |name: &str, help: &str, labels: &[&str], buckets: Vec<f64>| {
            reg(&registry, HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), labels))
        };
        let requests = reg(&registry, IntCounterVec::new(Opts::new("wgtf_requests_total", "Inference and metadata requests, by model, version, protocol and HTTP status"), &["model", "version", "protocol", "status"]));
        let in_flight = reg(&registry, IntGauge::new("wgtf_requests_in_flight", "Model requests being answered (decoding, queued, running, encoding)"));
        let request_seconds = hist("wgtf_request_duration_seconds", "Whole request: decoding, queue, batch, GPU run, encoding", &["model", "protocol"], seconds());
        let queue_seconds = hist("wgtf_queue_duration_seconds", "Time a request waited for a worker", &["model"], seconds());
        let batch_seconds = hist("wgtf_batch_duration_seconds", "Time a worker waited for more requests to fill a batch", &["model"], seconds());
        let gpu_seconds = hist("wgtf_gpu_duration_seconds", "Model::run of one batch: upload, dispatches, readback", &["model"], seconds());
        let batch_size = hist("wgtf_batch_size", "Requests per GPU run", &["model"], prometheus::exponential_buckets(1.0, 2.0, 11).unwrap_or_default());
        let batch_splits = reg(&registry, IntCounterVec::new(Opts::new("wgtf_batch_splits_total", "Batches that failed and ran again in halves"), &["model"]));
        let queue_depth = reg(&registry, IntGaugeVec::new(Opts::new("wgtf_queue_depth", "Requests waiting for a worker"), &["model"]));
        let model_memory = reg(&registry, IntGaugeVec::new(Opts::new("wgtf_model_memory_bytes", "GPU memory of a model version: weights, activations, staging"), &["model", "version", "kind"]));
        let gpu_memory = reg(&registry, IntGauge::new("wgtf_gpu_memory_bytes", "GPU memory held by all models of the server"));
        let versions_loaded = reg(&registry, IntGauge::new("wgtf_model_versions_loaded", "Model versions loaded and served"));
        let loads = reg(&registry, IntCounterVec::new(Opts::new("wgtf_model_loads_total", "Model version loads, by result"), &["model", "result"]));
        Metrics { registry, requests, in_flight, request_seconds, queue_seconds, batch_seconds, gpu_seconds, batch_size, batch_splits, queue_depth, model_memory, gpu_memory, versions_loaded, loads }
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        use prometheus::Encoder;
        let mut buf = Vec::new();
        match prometheus::TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            Ok(()) => String::from_utf8(buf).unwrap_or_default(),
            Err(e) => format!("# error encoding metrics: {e}\n"),
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
