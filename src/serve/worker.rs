//! GPU work, off the async runtime: each model version has a bounded queue and its own worker
//! threads, which run `Model::run` (blocking: upload, one submit, wait for its own submission,
//! readback) and answer through a oneshot channel. A full queue refuses a request at once (503);
//! a request whose client has gone (timeout, disconnect) is skipped, not run. A batch that fails
//! (a tensor beyond the device's limits, an error one request may cause) is run again in halves,
//! down to single requests, each answered with its own result; the worker then keeps batches of
//! those requests' shape below the size that failed. When a version is
//! unloaded its queue's sender is dropped: the workers finish what is queued, then exit and
//! drop the model, which frees its GPU memory.
use std::collections::{HashMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};
use tokio::sync::oneshot;

use super::batching::{self, BatchKey, Batching};
use super::error::ServeError;
use super::metrics::Metrics;
use crate::tensor::Tensor;
use crate::Model;

/// One request's run.
pub struct Job {
    /// Graph tensor names and values.
    pub feeds: Vec<(String, Tensor)>,
    pub fetches: Vec<String>,
    /// Set when the request may join a batch: what it must share with the others, its rows.
    pub batch: Option<(BatchKey, usize)>,
    pub reply: oneshot::Sender<Result<Vec<Tensor>, ServeError>>,
    pub enqueued: Instant,
}

/// Worker threads of every version, joined at shutdown.
#[derive(Clone, Default)]
pub struct WorkerSet(Arc<Mutex<Vec<JoinHandle<()>>>>);

impl WorkerSet {
    /// Waits for every worker that has exited or is exiting (their queues closed).
    pub fn join_all(&self) {
        let handles: Vec<_> = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        for h in handles {
            let _ = h.join();
        }
    }

    fn add(&self, h: JoinHandle<()>) {
        let mut v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        v.retain(|h| !h.is_finished());
        v.push(h);
    }
}

/// How a version's queue and workers behave.
#[derive(Clone, Debug)]
pub struct QueueOptions {
    pub workers: usize,
    pub capacity: usize,
    pub batching: Option<Batching>,
}

/// The queue of one model version.
pub struct Queue {
    tx: Sender<Job>,
    model: String,
    metrics: Arc<Metrics>,
}

impl Queue {
    /// Starts the workers of `model` (served as `name`).
    pub fn start(name: &str, model: Arc<Model>, opts: &QueueOptions, metrics: Arc<Metrics>, set: &WorkerSet) -> std::io::Result<Queue> {
        let (tx, rx) = crossbeam_channel::bounded(opts.capacity.max(1));
        for i in 0..opts.workers.max(1) {
            let w = Worker {
                rx: rx.clone(),
                model: model.clone(),
                name: name.to_string(),
                batching: opts.batching.clone(),
                capacity: opts.capacity.max(1),
                metrics: metrics.clone(),
                caps: HashMap::new(),
            };
            let h = std::thread::Builder::new().name(format!("wgtf-{name}-{i}")).spawn(move || w.work())?;
            set.add(h);
        }
        Ok(Queue { tx, model: name.to_string(), metrics })
    }

    /// Queues a job; a full queue is an error at once (the client retries later).
    pub fn submit(&self, job: Job) -> Result<(), ServeError> {
        match self.tx.try_send(job) {
            Ok(()) => {
                self.metrics.queue_depth.with_label_values(&[&self.model]).set(self.tx.len() as i64);
                Ok(())
            }
            Err(TrySendError::Full(_)) => Err(ServeError::QueueFull(self.model.clone())),
            Err(TrySendError::Disconnected(_)) => Err(ServeError::ShuttingDown),
        }
    }
}

struct Worker {
    rx: Receiver<Job>,
    model: Arc<Model>,
    name: String,
    batching: Option<Batching>,
    capacity: usize,
    metrics: Arc<Metrics>,
    /// Per batch key, the most rows a batch may have (learned from batches that failed).
    caps: HashMap<BatchKey, usize>,
}

/// How a batched run ended.
enum Batched {
    Ran(Vec<Vec<Tensor>>),
    /// An output has no batch dim: these requests cannot be batched.
    NoBatchDim,
    /// The run failed (device limits, or a request's values).
    Failed,
}

impl Worker {
    fn work(mut self) {
        let mut pending: VecDeque<Job> = VecDeque::new();
        loop {
            let job = match pending.pop_front() {
                Some(j) => j,
                None => match self.rx.recv() {
                    Ok(j) => j,
                    Err(_) => return,
                },
            };
            self.metrics.queue_depth.with_label_values(&[&self.name]).set(self.rx.len() as i64);
            if job.reply.is_closed() {
                continue;
            }
            let picked = Instant::now();
            let group = match (&self.batching, &job.batch) {
                (Some(b), Some((key, rows))) if *rows < self.cap(b, key) => self.gather(job, b, &mut pending),
                _ => vec![job],
            };
            self.metrics.batch_seconds.with_label_values(&[&self.name]).observe(picked.elapsed().as_secs_f64());
            self.run(group);
        }
    }

    /// The most rows a batch of `key` may have.
    fn cap(&self, b: &Batching, key: &BatchKey) -> usize {
        self.caps.get(key).map_or(b.max_batch_size, |&c| c.min(b.max_batch_size))
    }

    /// Jobs that run with `first`: compatible ones already set aside, then ones arriving before
    /// the batch timeout, while the batch has room. Others are set aside for later.
    fn gather(&self, first: Job, b: &Batching, pending: &mut VecDeque<Job>) -> Vec<Job> {
        let Some((key, mut rows)) = first.batch.clone() else { return vec![first] };
        let max = self.cap(b, &key);
        let fits = |j: &Job, rows: usize| j.batch.as_ref().is_some_and(|(k, r)| *k == key && rows + r <= max);
        let mut group = vec![first];
        let mut i = 0;
        while i < pending.len() && rows < max {
            if fits(&pending[i], rows) {
                let j = pending.remove(i).expect("index in range");
                rows += j.batch.as_ref().map_or(0, |(_, r)| *r);
                group.push(j);
            } else {
                i += 1;
            }
        }
        let deadline = Instant::now() + b.batch_timeout;
        while rows < max && pending.len() < self.capacity {
            let next = if b.batch_timeout.is_zero() {
                self.rx.try_recv().map_err(|_| RecvTimeoutError::Timeout)
            } else {
                self.rx.recv_deadline(deadline)
            };
            let Ok(j) = next else { break };
            if j.reply.is_closed() {
                continue;
            }
            if fits(&j, rows) {
                rows += j.batch.as_ref().map_or(0, |(_, r)| *r);
                group.push(j);
            } else {
                pending.push_back(j);
            }
        }
        group
    }

    /// Runs a group (one job, or a batch) and answers every job of it.
    fn run(&mut self, group: Vec<Job>) {
        let now = Instant::now();
        for j in &group {
            self.metrics.queue_seconds.with_label_values(&[&self.name]).observe(now.duration_since(j.enqueued).as_secs_f64());
        }
        self.run_group(group);
    }

    fn run_group(&mut self, mut group: Vec<Job>) {
        group.retain(|j| !j.reply.is_closed());
        if group.len() <= 1 {
            for j in group {
                let r = self.run_one(&j.feeds, &j.fetches);
                let _ = j.reply.send(r);
            }
            return;
        }
        let rows: usize = group.iter().map(|j| j.batch.as_ref().map_or(0, |(_, r)| *r)).sum();
        let key = group[0].batch.as_ref().map(|(k, _)| k.clone());
        match self.run_batch(&group) {
            Batched::Ran(parts) => {
                for (j, outs) in group.into_iter().zip(parts) {
                    let _ = j.reply.send(Ok(outs));
                }
            }
            // Each request alone, and never batched again.
            Batched::NoBatchDim => {
                if let Some(k) = key {
                    self.caps.insert(k, 1);
                }
                for j in group {
                    let r = self.run_one(&j.feeds, &j.fetches);
                    let _ = j.reply.send(r);
                }
            }
            // In halves (down to single requests, each with its own answer); batches of these
            // shapes stay below the size that failed.
            Batched::Failed => {
                self.metrics.batch_splits.with_label_values(&[&self.name]).inc();
                if let Some(k) = key {
                    self.caps.insert(k, (rows / 2).max(1));
                }
                let second = group.split_off(group.len() / 2);
                self.run_group(group);
                self.run_group(second);
            }
        }
    }

    /// One `Model::run`, timed; a panic (a bug) becomes an error answer, and the worker lives on.
    fn run_one(&self, feeds: &[(String, Tensor)], fetches: &[String]) -> Result<Vec<Tensor>, ServeError> {
        let f: Vec<(&str, &Tensor)> = feeds.iter().map(|(n, t)| (n.as_str(), t)).collect();
        let names: Vec<&str> = fetches.iter().map(|s| s.as_str()).collect();
        let started = Instant::now();
        let r = std::panic::catch_unwind(AssertUnwindSafe(|| self.model.run(&f, &names)));
        self.metrics.gpu_seconds.with_label_values(&[&self.name]).observe(started.elapsed().as_secs_f64());
        self.metrics.batch_size.with_label_values(&[&self.name]).observe(1.0);
        match r {
            Ok(Ok(outs)) => Ok(outs),
            Ok(Err(e)) => Err(ServeError::Run { model: self.name.clone(), source: e }),
            Err(_) => {
                tracing::error!(model = %self.name, "a run panicked");
                Err(ServeError::Internal("the run panicked".into()))
            }
        }
    }

    /// The group as one run: feeds concatenated, outputs split back.
    fn run_batch(&self, group: &[Job]) -> Batched {
        let first = &group[0];
        let rows: Vec<usize> = group.iter().map(|j| j.batch.as_ref().map_or(0, |(_, r)| *r)).collect();
        let mut feeds = Vec::with_capacity(first.feeds.len());
        for (i, (name, _)) in first.feeds.iter().enumerate() {
            let parts: Vec<&Tensor> = group.iter().map(|j| &j.feeds[i].1).collect();
            match batching::concat(&parts) {
                Ok(t) => feeds.push((name.clone(), t)),
                Err(_) => return Batched::Failed,
            }
        }
        let f: Vec<(&str, &Tensor)> = feeds.iter().map(|(n, t)| (n.as_str(), t)).collect();
        let names: Vec<&str> = first.fetches.iter().map(|s| s.as_str()).collect();
        let started = Instant::now();
        let r = std::panic::catch_unwind(AssertUnwindSafe(|| self.model.run(&f, &names)));
        self.metrics.gpu_seconds.with_label_values(&[&self.name]).observe(started.elapsed().as_secs_f64());
        let outs = match r {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => {
                tracing::debug!(model = %self.name, requests = group.len(), error = %e, "a batch failed; it runs again in halves");
                return Batched::Failed;
            }
            Err(_) => return Batched::Failed,
        };
        let mut per_job: Vec<Vec<Tensor>> = vec![Vec::with_capacity(outs.len()); group.len()];
        for o in &outs {
            let parts = match batching::split(o, &rows) {
                Ok(p) => p,
                Err(e) => {
                    tracing::debug!(model = %self.name, error = %e, "an output has no batch dim; its requests run one by one");
                    return Batched::NoBatchDim;
                }
            };
            for (v, p) in per_job.iter_mut().zip(parts) {
                v.push(p);
            }
        }
        self.metrics.batch_size.with_label_values(&[&self.name]).observe(group.len() as f64);
        Batched::Ran(per_job)
    }
}
