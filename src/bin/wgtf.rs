//! The `wgtf` command line: run, inspect and list devices. A thin layer over the library.
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use wgtf::{Context, LoadOptions, Model, Tensor};

#[derive(Parser)]
#[command(name = "wgtf", version, about = "Run TensorFlow models on any GPU through wgpu")]
struct Cli {
    /// Adapter index (see `wgtf devices`); also WGTF_ADAPTER.
    #[arg(long, global = true)]
    adapter: Option<usize>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a model: `wgtf run MODEL -i x:0=in.npy -o y:0=out.npy`, or several models in one
    /// process: `wgtf run -m A -i … -o … -m B -i … -o …` (loaded together, run concurrently).
    Run {
        /// The model: a .pb, a checkpoint prefix (or its directory), a .meta, a SavedModel directory.
        model: Option<PathBuf>,
        /// Starts a model group (several models in one context).
        #[arg(short = 'm', long = "model")]
        models: Vec<PathBuf>,
        /// A feed: NAME=FILE.npy, or NAME=IMAGE.png/.jpg (NHWC float32, batch 1; see --scale).
        #[arg(short = 'i', long = "input")]
        inputs: Vec<String>,
        /// A fetch: NAME=FILE.npy, or NAME alone to print it.
        #[arg(short = 'o', long = "output")]
        outputs: Vec<String>,
        /// Import the graph under this name prefix.
        #[arg(long)]
        prefix: Option<String>,
        #[command(flatten)]
        image: ImageArgs,
        #[command(flatten)]
        persist: PersistArgs,
    },
    /// Describe a model: inputs, likely outputs, ops, unsupported ops.
    Info {
        model: PathBuf,
        #[command(flatten)]
        persist: PersistArgs,
        /// Also plan a run with the placeholders' shapes (unknown dims taken as 1): dispatches,
        /// memory, and where a run stops to read data-dependent lengths back.
        #[arg(long)]
        plan: bool,
        #[arg(short, long)]
        verbose: bool,
    },
    /// List the GPU adapters wgtf can use.
    Devices,
    /// Freeze a checkpoint, .meta, SavedModel or TF.js model.json into one GraphDef that
    /// TensorFlow loads: variables become constants, what the outputs do not need is pruned (like
    /// TensorFlow's convert_variables_to_constants); a TF.js model's ops become TensorFlow's.
    Freeze {
        model: PathBuf,
        /// Output node names (a TF.js model's default: its signature's outputs, else the nodes
        /// nothing consumes).
        #[arg(long, value_delimiter = ',')]
        outputs: Vec<String>,
        /// Convert only these variables.
        #[arg(long, value_delimiter = ',')]
        allow: Option<Vec<String>>,
        /// Never convert these variables.
        #[arg(long, value_delimiter = ',')]
        deny: Vec<String>,
        /// The GraphDef to write.
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
        /// Import the graph under this name prefix.
        #[arg(long)]
        prefix: Option<String>,
        #[command(flatten)]
        persist: PersistArgs,
    },
    /// Serve models over HTTP: TensorFlow Serving's REST API (/v1/models/…) and KServe's Open
    /// Inference Protocol v2 (/v2/…), with dynamic batching, Prometheus metrics (/metrics) and
    /// new versions picked up while serving.
    #[cfg(feature = "serve")]
    Serve(wgtf::serve::ServeArgs),
    /// Benchmark a model: load time, latency percentiles, throughput, counters.
    Bench {
        model: PathBuf,
        #[arg(long)]
        batch: Option<usize>,
        #[arg(long, default_value_t = 50)]
        iters: usize,
        #[arg(long, default_value_t = 5)]
        warmup: usize,
        /// Feeds (NAME=FILE.npy); other inputs get random values.
        #[arg(short = 'i', long = "input")]
        inputs: Vec<String>,
        /// Fetches (default: the likely outputs).
        #[arg(short = 'o', long = "output")]
        outputs: Vec<String>,
        /// GPU time per op from timestamp queries (top 10).
        #[arg(long)]
        profile: bool,
        /// Print the figures as one JSON object.
        #[arg(long)]
        json: bool,
    },
}

struct Group {
    model: PathBuf,
    inputs: Vec<String>,
    outputs: Vec<String>,
}

fn main() -> ExitCode {
    // Without a desktop session, libwayland (loaded by the Vulkan driver stack) prints a
    // misleading "XDG_RUNTIME_DIR is invalid" error at start-up; give it a directory.
    #[cfg(target_os = "linux")]
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    match real_main(cli, &matches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wgtf: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn context(adapter: Option<usize>) -> wgtf::Result<Context> {
    Context::new_with(wgtf::ContextOptions { adapter, ..Default::default() })
}

fn real_main(cli: Cli, matches: &ArgMatches) -> wgtf::Result<()> {
    match cli.cmd {
        Cmd::Devices => {
            let list = wgtf::list_adapters(None)?;
            if list.is_empty() {
                return Err(wgtf::Error::NoAdapter(String::new()));
            }
            for a in list {
                println!("[{}] {} ({}, {}) driver: {}", a.index, a.name, a.backend, a.device_type, a.driver);
                println!(
                    "    max storage binding {} MiB, max buffer {} MiB, workgroup memory {} KiB, {} invocations; features: {}",
                    a.max_storage_buffer_binding_size >> 20,
                    a.max_buffer_size >> 20,
                    a.max_compute_workgroup_storage_size >> 10,
                    a.max_compute_invocations_per_workgroup,
                    a.features.join(", ")
                );
            }
            Ok(())
        }
        Cmd::Info { model, persist, plan, verbose } => info(cli.adapter, &model, &persist.load_options(None)?, plan, verbose),
        Cmd::Freeze { model, outputs, allow, deny, out, prefix, persist } => {
            let f = wgtf::import::FreezeOptions { outputs, allow, deny };
            let gd = wgtf::import::freeze_to_file(&model, &persist.load_options(prefix)?, &f, &out)?;
            println!("wrote {} ({} nodes)", out.display(), gd.node.len());
            Ok(())
        }
        Cmd::Bench { model, batch, iters, warmup, inputs, outputs, profile, json } => {
            let mut feeds = Vec::new();
            for i in &inputs {
                let (name, path) = split_kv(i);
                let path = path.ok_or_else(|| wgtf::Error::Other(format!("-i {i}: expected NAME=FILE.npy")))?;
                feeds.push((name.to_string(), Tensor::read_npy(path)?));
            }
            let opts = wgtf::bench::BenchOptions { iters, warmup, batch, feeds, fetches: outputs, profile };
            bench(cli.adapter, &model, &opts, json)
        }
        #[cfg(feature = "serve")]
        Cmd::Serve(args) => wgtf::serve::run(args.to_config(cli.adapter)?),
        Cmd::Run { model, models, inputs, outputs, prefix, image, persist } => {
            let sub = matches.subcommand_matches("run").expect("run subcommand");
            let groups = groups(sub, model, models, inputs, outputs)?;
            run(cli.adapter, groups, persist.load_options(prefix)?, &image)
        }
    }
}

/// Splits -i/-o flags into groups by the -m that precedes them.
fn groups(sub: &ArgMatches, model: Option<PathBuf>, models: Vec<PathBuf>, inputs: Vec<String>, outputs: Vec<String>) -> wgtf::Result<Vec<Group>> {
    let err = |m: &str| wgtf::Error::Other(m.to_string());
    if let Some(model) = model {
        if !models.is_empty() {
            return Err(err("give the model either as an argument or with -m, not both"));
        }
        return Ok(vec![Group { model, inputs, outputs }]);
    }
    if models.is_empty() {
        return Err(err("no model given: wgtf run MODEL -i NAME=IN.npy -o NAME=OUT.npy"));
    }
    let idx = |name: &str| -> Vec<usize> { sub.indices_of(name).map(|i| i.collect()).unwrap_or_default() };
    let m_idx = idx("models");
    let mut gs: Vec<Group> = models.into_iter().map(|model| Group { model, inputs: vec![], outputs: vec![] }).collect();
    let owner = |i: usize| -> wgtf::Result<usize> {
        m_idx.iter().rposition(|&m| m < i).ok_or_else(|| err("-i and -o must follow the -m they belong to"))
    };
    for (v, i) in inputs.into_iter().zip(idx("inputs")) {
        let g = owner(i)?;
        gs[g].inputs.push(v);
    }
    for (v, i) in outputs.into_iter().zip(idx("outputs")) {
        let g = owner(i)?;
        gs[g].outputs.push(v);
    }
    Ok(gs)
}

fn split_kv(s: &str) -> (&str, Option<&str>) {
    match s.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (s, None),
    }
}

fn run(adapter: Option<usize>, groups: Vec<Group>, opts: LoadOptions, image: &ImageArgs) -> wgtf::Result<()> {
    let (img_opts, top) = image.options()?;
    let ctx = context(adapter)?;
    // Load everything first, then run the groups concurrently.
    let mut loaded: Vec<(Model, Vec<(String, Tensor)>, Vec<(String, Option<String>)>)> = Vec::new();
    for g in &groups {
        let model = ctx.load_with(&g.model, &opts)?;
        let mut feeds = Vec::new();
        for i in &g.inputs {
            let (name, path) = split_kv(i);
            let path = path.ok_or_else(|| wgtf::Error::Other(format!("-i {i}: expected NAME=FILE (.npy, .png or .jpg)")))?;
            feeds.push((name.to_string(), wgtf::image::read_feed(&model, name, path, &img_opts)?));
        }
        let fetches = g.outputs.iter().map(|o| {
            let (n, p) = split_kv(o);
            (n.to_string(), p.map(|s| s.to_string()))
        });
        let fetches: Vec<_> = fetches.collect();
        if fetches.is_empty() {
            let outs = model.outputs().join(", ");
            return Err(wgtf::Error::Other(format!("{}: no outputs requested (-o NAME=OUT.npy); likely outputs: {outs}", g.model.display())));
        }
        loaded.push((model, feeds, fetches));
    }
    let top = &top;
    let results: Vec<wgtf::Result<()>> = std::thread::scope(|s| {
        let handles: Vec<_> = loaded
            .iter()
            .map(|(model, feeds, fetches)| {
                s.spawn(move || -> wgtf::Result<()> {
                    let f: Vec<(&str, &Tensor)> = feeds.iter().map(|(n, t)| (n.as_str(), t)).collect();
                    let names: Vec<&str> = fetches.iter().map(|(n, _)| n.as_str()).collect();
                    let outs = model.run(&f, &names)?;
                    for ((name, path), t) in fetches.iter().zip(outs) {
                        match path {
                            Some(p) => t.write_npy(p)?,
                            None => {
                                print_tensor(name, &t);
                                if let Some((k, labels)) = top {
                                    for line in wgtf::image::format_top_k(&t, *k, labels.as_deref())? {
                                        println!("{line}");
                                    }
                                }
                            }
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(wgtf::Error::Other("a run panicked".into())))).collect()
    });
    for (g, r) in groups.iter().zip(results) {
        r.map_err(|e| wgtf::Error::Other(format!("{}: {e}", g.model.display())))?;
    }
    Ok(())
}

fn print_tensor(name: &str, t: &Tensor) {
    let v = t.to_f64_vec().unwrap_or_default();
    let shown: Vec<String> = v.iter().take(16).map(|x| format!("{x:.6}")).collect();
    let more = if v.len() > 16 { format!(", … ({} values)", v.len()) } else { String::new() };
    println!("{name}: {} {:?} [{}{more}]", t.dtype(), t.shape(), shown.join(", "));
}

fn info(adapter: Option<usize>, path: &PathBuf, opts: &LoadOptions, plan: bool, verbose: bool) -> wgtf::Result<()> {
    let loaded = wgtf::import::load(path, opts)?;
    print_persisted(&loaded);
    let graph = loaded.graph;
    let reg = wgtf::ops::registry();
    println!("model: {} ({} nodes)", path.display(), graph.nodes.len());
    println!("inputs:");
    for n in graph.nodes.iter().filter(|n| wgtf::graph::op_kind::is_input(&n.op)) {
        let dt = n.attr_opt_dtype("dtype").ok().flatten().map(|d| d.to_string()).unwrap_or_else(|| "?".into());
        let shape = match n.attr_opt_shape("shape").ok().flatten() {
            Some(Some(d)) => format!("[{}]", d.iter().map(|x| x.map_or("?".into(), |v| v.to_string())).collect::<Vec<_>>().join(", ")),
            _ => "unknown".into(),
        };
        println!("  {}:0  {dt} {shape}{}", n.name, if n.op == "PlaceholderWithDefault" { " (has a default)" } else { "" });
    }
    println!("likely outputs:");
    for n in graph.sinks() {
        if n.op != "NoOp" && n.op != "Const" {
            println!("  {}:0  ({})", n.name, n.op);
        }
    }
    let mut hist: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &graph.nodes {
        *hist.entry(n.op.as_str()).or_default() += 1;
    }
    println!("ops:");
    for (op, c) in &hist {
        println!("  {op:<28} {c:>5}{}", if reg.contains(op) { "" } else { "   (not supported)" });
    }
    // Everything it cannot run, as loading reports it: ops, and attribute values of supported ops,
    // in the graph and in the functions it calls.
    let mut unsupported = reg.unsupported(&graph.nodes);
    match wgtf::lower::pipeline::normalize(graph.clone()).and_then(|g| wgtf::lower::pipeline::unsupported_in_functions(&g, reg)) {
        Ok(u) => unsupported.extend(u),
        Err(e) => println!("functions: not checked ({e})"),
    }
    if unsupported.is_empty() {
        println!("unsupported: none");
    } else {
        println!("{}", wgtf::Error::Unsupported(unsupported));
    }
    // Loops, conditionals and calls: functions, and iterations when the plan unrolls them.
    for line in wgtf::lower::report::info_lines(&graph, reg) {
        println!("{line}");
    }
    if plan || verbose {
        let ctx = context(adapter)?;
        let before = ctx.pipelines_created();
        let model = Model::from_graph(&ctx, graph)?;
        let feeds: Vec<(String, wgtf::DType, Vec<usize>)> = model
            .inputs()
            .into_iter()
            .filter_map(|i| Some((i.name, i.dtype?, i.shape?.into_iter().map(|d| d.unwrap_or(1)).collect())))
            .collect();
        let outs = model.outputs();
        let f: Vec<(&str, wgtf::DType, Vec<usize>)> = feeds.iter().map(|(n, d, s)| (n.as_str(), *d, s.clone())).collect();
        let o: Vec<&str> = outs.iter().map(|s| s.as_str()).collect();
        let p = model.plan_summary(&f, &o)?;
        println!("plan (unknown dims taken as 1): {} dispatches, activations {} bytes planned, peak live {} bytes, {} pipelines compiled, weights {} bytes",
            p.dispatches, p.activation_bytes, p.peak_live_bytes, ctx.pipelines_created() - before, model.memory().weights);
        if p.syncs.is_empty() {
            println!("one submit per run: no data-dependent length is read by another op");
        }
        for (i, line) in p.syncs.iter().enumerate() {
            println!("  {}. {line}", i + 1);
        }
        if verbose {
            for (node, op, kernel) in &p.kernels {
                println!("  {node:<48} {op:<24} {kernel}");
            }
        }
    }
    Ok(())
}

fn bench(adapter: Option<usize>, path: &PathBuf, opts: &wgtf::bench::BenchOptions, json: bool) -> wgtf::Result<()> {
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
    println!("model:      {}  on {}", path.display(), r.adapter);
    println!("load:       {:.1} ms cold ({} pipelines compiled), {:.1} ms warm ({} new pipelines); first run {:.1} ms",
        r.load_ms, r.pipelines_created, r.load_warm_ms, r.pipelines_created_warm, r.first_run_ms);
    println!("latency:    p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  (mean {:.3} ms, {} runs, batch {})", r.p50_ms, r.p90_ms, r.p99_ms, r.mean_ms, opts.iters, r.batch);
    println!("throughput: {:.1} samples/s", r.throughput_per_s);
    println!("per run:    {} dispatches, {} compute passes, {} submits, {} bytes uploaded (feeds: {}), {} bytes read back, {} bind groups created",
        r.dispatches_per_run, r.passes_per_run, r.submits_per_run, r.upload_bytes_per_run, r.feed_bytes, r.readback_bytes_per_run, r.bind_groups_created_per_run);
    println!("memory:     weights {} bytes, activations planned {} bytes, peak live {} bytes ({:.2}x)",
        r.weight_bytes, r.activation_bytes, r.peak_live_bytes, r.activation_bytes as f64 / r.peak_live_bytes.max(1) as f64);
    if !r.profile.is_empty() {
        let total: f64 = r.profile.iter().map(|p| p.gpu_ms).sum();
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

/// Image inputs and classifier outputs of `wgtf run` (helpers in `wgtf::image`).
#[derive(clap::Args)]
struct ImageArgs {
    /// Resize image inputs to WIDTHxHEIGHT first (needed when the size differs from the model's).
    #[arg(long, value_name = "WxH")]
    resize: Option<String>,
    /// Image inputs: each pixel (0..255) is multiplied by SCALE (e.g. 1/255, 1, 2/255) ...
    #[arg(long, default_value = "1/255")]
    scale: String,
    /// ... then MEAN is subtracted (one value or one per channel: 0.485,0.456,0.406) ...
    #[arg(long, default_value = "0")]
    mean: String,
    /// ... and the result divided by STD (one value or one per channel).
    #[arg(long, default_value = "1")]
    std: String,
    /// Labels, one per line: printed outputs also show their top classes.
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,
    /// How many top classes to print (default 5 with --labels).
    #[arg(long, value_name = "K")]
    top: Option<usize>,
}

impl ImageArgs {
    #[allow(clippy::type_complexity)]
    fn options(&self) -> wgtf::Result<(wgtf::image::ImageOptions, Option<(usize, Option<Vec<String>>)>)> {
        use wgtf::image::{parse_list, parse_number, parse_size};
        let opts = wgtf::image::ImageOptions {
            resize: self.resize.as_deref().map(parse_size).transpose()?,
            scale: parse_number(&self.scale)?,
            mean: parse_list(&self.mean)?,
            std: parse_list(&self.std)?,
            channels: None,
        };
        let labels = self.labels.as_ref().map(wgtf::image::read_labels).transpose()?;
        let top = match (self.top, labels) {
            (None, None) => None,
            (k, labels) => Some((k.unwrap_or(5), labels)),
        };
        Ok((opts, top))
    }
}

/// Options for checkpoints and SavedModels (run, info, freeze).
#[derive(clap::Args, Default)]
struct PersistArgs {
    /// SavedModel: the signature whose keys may name feeds and fetches (default serving_default).
    #[arg(long)]
    signature: Option<String>,
    /// SavedModel: a tag of the meta graph to load (default serve); may repeat.
    #[arg(long = "tag", value_delimiter = ',')]
    tags: Vec<String>,
    /// Restore the variables from this checkpoint (prefix or directory) instead of the model's.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Restore only these variables; the others that the outputs need must be given with --var.
    #[arg(long = "restore", value_delimiter = ',')]
    restore: Option<Vec<String>>,
    /// CHECKPOINT_KEY=VARIABLE: restore a variable from another checkpoint key; may repeat.
    #[arg(long = "rename")]
    rename: Vec<String>,
    /// VARIABLE=FILE.npy: the value of a variable; may repeat.
    #[arg(long = "var")]
    vars: Vec<String>,
}

impl PersistArgs {
    fn load_options(&self, prefix: Option<String>) -> wgtf::Result<LoadOptions> {
        let mut r = wgtf::import::RestoreOptions { checkpoint: self.checkpoint.clone(), only: self.restore.clone(), ..Default::default() };
        for kv in &self.rename {
            let (k, v) = split_kv(kv);
            let v = v.ok_or_else(|| wgtf::Error::Other(format!("--rename {kv}: expected CHECKPOINT_KEY=VARIABLE")))?;
            r.rename.insert(k.to_string(), v.to_string());
        }
        for kv in &self.vars {
            let (k, v) = split_kv(kv);
            let v = v.ok_or_else(|| wgtf::Error::Other(format!("--var {kv}: expected VARIABLE=FILE.npy")))?;
            r.values.insert(k.to_string(), Tensor::read_npy(v)?);
        }
        Ok(LoadOptions { prefix, signature: self.signature.clone(), tags: self.tags.clone(), restore: r, ..Default::default() })
    }
}

/// What `wgtf info` shows of a checkpoint or SavedModel: variables and signatures.
fn print_persisted(l: &wgtf::import::Loaded) {
    let dims = |s: &Option<Vec<Option<usize>>>| match s {
        Some(d) => format!("[{}]", d.iter().map(|x| x.map_or("?".into(), |v| v.to_string())).collect::<Vec<_>>().join(", ")),
        None => "unknown".into(),
    };
    let dt = |d: Option<wgtf::DType>| d.map_or("?".to_string(), |d| d.to_string());
    match &l.kind {
        wgtf::import::ModelKind::GraphDef => {}
        wgtf::import::ModelKind::MetaGraph { meta } => println!("meta graph: {}", meta.display()),
        wgtf::import::ModelKind::SavedModel { dir, tags } => println!("SavedModel: {} (tags: {})", dir.display(), tags.join(", ")),
        wgtf::import::ModelKind::TfjsGraph { json, converted_by } => {
            println!("TF.js graph model: {}{}", json.display(), converted_by.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())
        }
    }
    if let Some(c) = &l.checkpoint {
        println!("checkpoint: {}", c.display());
    }
    if !l.variables.is_empty() {
        println!("variables:");
        for v in &l.variables {
            let note = match v.source {
                wgtf::import::ValueSource::Checkpoint if v.key != v.name => format!("  (key {})", v.key),
                wgtf::import::ValueSource::Checkpoint => String::new(),
                wgtf::import::ValueSource::Given => "  (value given)".into(),
                wgtf::import::ValueSource::Unused => "  (not needed: training only)".into(),
            };
            println!("  {}  {} {}  {}{note}", v.name, dt(v.dtype), dims(&v.shape), v.op);
        }
    }
    if !l.signatures.is_empty() {
        println!("signatures:");
        for s in &l.signatures {
            let mark = if l.signature.as_deref() == Some(s.key.as_str()) { " (used for names)" } else { "" };
            println!("  {}{mark}  {}", s.key, s.method);
            for (what, ts) in [("in ", &s.inputs), ("out", &s.outputs)] {
                for t in ts {
                    println!("    {what} {} -> {}  {} {}", t.key, t.tensor, dt(t.dtype), dims(&t.shape));
                }
            }
        }
    }
}
