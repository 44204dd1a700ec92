//! The `wgtf` command line: run, inspect and list devices. A thin layer over the library.
// The binary's own modules, in src/bin/wgtf/ (named by path: a crate root other than main.rs
// would look for them next to itself, where Cargo takes every file for a binary).
#[path = "wgtf/args.rs"]
mod args;
#[path = "wgtf/bench.rs"]
mod bench;
#[path = "wgtf/info.rs"]
mod info;
#[path = "wgtf/run.rs"]
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use args::{groups, split_kv, ImageArgs, PersistArgs};
use bench::bench;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use info::info;
use run::run;
use wgtf::{Context, Tensor};

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
        /// How float tensors are held on the GPU: f32, or f16 (half the memory and bandwidth,
        /// computed in f32; needs the adapter's shader-f16).
        #[arg(long, default_value = "f32")]
        precision: wgtf::Precision,
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
    /// List the GPU adapters wgtf can use, with the GEMM kernel each uses (and where it came from).
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
        /// How float tensors are held on the GPU: f32, or f16 (needs shader-f16).
        #[arg(long, default_value = "f32")]
        precision: wgtf::Precision,
    },
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
                // The GEMM kernel and depthwise form a model load would use (perhaps autotuned
                // now, then cached).
                match context(Some(a.index)) {
                    Ok(ctx) => {
                        let g = ctx.gemm();
                        println!("    gemm: {}", g.summary());
                        for n in &g.notes {
                            println!("    gemm: note: {n}");
                        }
                        // Decided by the same autotune (its notes are the GEMM kernel's).
                        println!("    depthwise: {}", ctx.depthwise().summary());
                    }
                    Err(e) => println!("    gemm: {e}"),
                }
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
        Cmd::Bench { model, batch, iters, warmup, inputs, outputs, profile, json, precision } => {
            let mut feeds = Vec::new();
            for i in &inputs {
                let (name, path) = split_kv(i);
                let path = path.ok_or_else(|| wgtf::Error::Other(format!("-i {i}: expected NAME=FILE.npy")))?;
                feeds.push((name.to_string(), Tensor::read_npy(path)?));
            }
            let opts = wgtf::bench::BenchOptions { iters, warmup, batch, feeds, fetches: outputs, profile, precision };
            bench(cli.adapter, &model, &opts, json)
        }
        #[cfg(feature = "serve")]
        Cmd::Serve(args) => wgtf::serve::run(args.to_config(cli.adapter)?),
        Cmd::Run { model, models, inputs, outputs, prefix, image, persist, precision } => {
            let sub = matches.subcommand_matches("run").expect("run subcommand");
            let groups = groups(sub, model, models, inputs, outputs)?;
            run(cli.adapter, groups, wgtf::LoadOptions { precision, ..persist.load_options(prefix)? }, &image)
        }
    }
}
