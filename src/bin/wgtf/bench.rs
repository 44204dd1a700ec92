//! `wgtf bench`: a progress bar while it runs, then the figures as text or JSON.
use std::path::PathBuf;

use crate::context;

pub(crate) fn bench(adapter: Option<usize>, path: &PathBuf, opts: &wgtf::bench::BenchOptions, json: bool) -> wgtf::Result<()> {
    let ctx = context(adapter)?;
    let bar = indicatif::ProgressBar::new((opts.iters + opts.warmup) as u64);
    if json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    } else {
        bar.set_style(indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} runs").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
        bar.set_message("benchmarking");
    }
    let r = wgtf::bench::bench(&ctx, path, opts, |done, _| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    if json {
        println!("{}", r.to_json());
        return Ok(());
    }
    println!("model:      {}  on {}  ({})", path.display(), r.adapter, r.precision);
    println!("gemm:       {} ({})", r.gemm, r.gemm_source);
    println!("depthwise:  {} ({})", r.depthwise, r.depthwise_source);
    println!("load:       {:.1} ms cold ({} pipelines compiled), {:.1} ms warm ({} new pipelines); first run {:.1} ms",
        r.load_ms, r.pipelines_created, r.load_warm_ms, r.pipelines_created_warm, r.first_run_ms);
    println!("latency:    p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  (mean {:.3} ms, {} runs, batch {})", r.p50_ms, r.p90_ms, r.p99_ms, r.mean_ms, opts.iters, r.batch);
    println!("throughput: {:.1} samples/s", r.throughput_per_s);
    println!("per run:    {} dispatches, {} compute passes, {} submits, {} bytes uploaded (feeds: {}), {} bytes read back, {} bind groups created",
        r.dispatches_per_run, r.passes_per_run, r.submits_per_run, r.upload_bytes_per_run, r.feed_bytes, r.readback_bytes_per_run, r.bind_groups_created_per_run);
    println!("memory:     weights {} bytes, activations planned {} bytes, peak live {} bytes ({:.2}x)",
        r.weight_bytes, r.activation_bytes, r.peak_live_bytes, r.activation_bytes as f64 / r.peak_live_bytes.max(1) as f64);
    println!("host/run:   upload {:.3} ms, encode {:.3} ms, submit {:.3} ms, readback {:.3} ms; waiting for the GPU and the map {:.3} ms",
        r.host_upload_ms, r.host_encode_ms, r.host_submit_ms, r.host_readback_ms, r.wait_ms);
    if !r.profile.is_empty() {
        let total: f64 = r.profile.iter().map(|p| p.gpu_ms).sum();
        println!("outside kernels: {:.3} ms of a mean run ({:.3} ms) is not kernel time ({total:.3} ms)", (r.mean_ms - total).max(0.0), r.mean_ms);
        println!("GPU time per op (one profiled run, {total:.3} ms in all):");
        for p in r.profile.iter().take(10) {
            println!("  {:<28} {:>9.3} ms  {:>5.1}%  ({} kernels)", p.op, p.gpu_ms, 100.0 * p.gpu_ms / total.max(1e-12), p.kernels);
        }
        println!("slowest kernels:");
        for k in &r.slowest_kernels {
            println!("  {:>9.3} ms  {}  {}", k.gpu_ms, k.node, k.kernel);
        }
    }
    Ok(())
}
