//! wgtf viewer: models run every frame on the GPU that draws the window, and their outputs go
//! from GPU buffers to the screen with no CPU readback.
//!
//!     cargo run --release --example viewer                       # the bundled models, in a window
//!     cargo run --release --example viewer -- --model my.pb --image cat.png
//!     cargo run --release --example viewer -- --headless --frames 30 --out shot.png
//!
//! See examples/viewer/README.md.
mod inputs;
mod render;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use inputs::Source;
use render::{ColorMap, Frame, Kind, Layout, Renderer};
use wgtf::{Context, Tensor};

/// Models on the GPU, live: input and output side by side, straight from GPU memory.
#[derive(Parser, Debug, Clone)]
#[command(name = "viewer", about)]
struct Args {
    /// A model to show (frozen .pb, TF.js model.json, SavedModel…; repeat for several, switch
    /// with Tab). Default: the bundled digits classifier, edges and blur models and the
    /// selfie segmentation model in models/.
    #[arg(long = "model", value_name = "PATH")]
    models: Vec<PathBuf>,
    /// The input tensor (default: the model's only placeholder).
    #[arg(long, value_name = "NAME")]
    input: Option<String>,
    /// The output tensor (default: the model's first likely output).
    #[arg(long, value_name = "NAME")]
    output: Option<String>,
    /// An image file (PNG, JPEG) to feed, besides the animated pattern; repeatable.
    #[arg(long = "image", value_name = "PATH")]
    images: Vec<PathBuf>,
    /// Labels for a classifier, one per line (default: labels.txt beside the model).
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,
    /// Input size for models whose placeholder leaves height and width open.
    #[arg(long, value_name = "WxH", default_value = "160x160")]
    size: String,
    /// Output values LO:HI are drawn black to white (image outputs).
    #[arg(long, value_name = "LO:HI", default_value = "0:1")]
    range: String,
    /// Render offscreen (no window, no display needed) and write the last frame to --out.
    #[arg(long)]
    headless: bool,
    /// Frames to render in headless mode (the animation advances 1/30 s per frame).
    #[arg(long, default_value_t = 3)]
    frames: u32,
    /// The PNG that headless mode writes.
    #[arg(long, value_name = "PNG", default_value = "shot.png")]
    out: PathBuf,
    #[arg(long, default_value_t = 1024)]
    width: u32,
    #[arg(long, default_value_t = 560)]
    height: u32,
    /// The model shown first (0-based, in load order).
    #[arg(long, default_value_t = 0)]
    show: usize,
    /// The input shown first: 0 is the animated one (held-out digits for the digits model,
    /// the pattern otherwise), then the others in the order the I key cycles them.
    #[arg(long, default_value_t = 0)]
    source: usize,
}

type Res<T> = Result<T, String>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn short(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

/// One loaded model with its buffers and inputs.
struct Slot {
    name: String,
    path: PathBuf,
    model: wgtf::Model,
    input: String,
    output: String,
    /// H, W, C of the input.
    in_dims: [usize; 3],
    /// H, W, C of an image output.
    out_dims: [usize; 3],
    kind: Kind,
    labels: Vec<String>,
    sources: Vec<Source>,
    source: usize,
    sample: usize,
    in_buf: wgpu::Buffer,
    out_buf: wgpu::Buffer,
}

struct App {
    ctx: Context,
    renderer: Renderer,
    slots: Vec<Slot>,
    current: usize,
    paused: bool,
    /// Animation time (seconds); frozen while paused.
    t: f32,
    frame_ms: Option<f64>,
    infer_ms: Option<f64>,
    last_input: Option<Tensor>,
}

fn parse_size(s: &str) -> Res<(usize, usize)> {
    wgtf::image::parse_size(s).map(|(w, h)| (w as usize, h as usize)).map_err(|e| e.to_string())
}

fn parse_range(s: &str) -> Res<ColorMap> {
    let err = || format!("--range {s}: expected LO:HI, e.g. 0:1 or -1:1");
    let (lo, hi) = s.split_once(':').ok_or_else(err)?;
    let lo = wgtf::image::parse_number(lo).map_err(|_| err())?;
    let hi = wgtf::image::parse_number(hi).map_err(|_| err())?;
    if hi <= lo {
        return Err(err());
    }
    Ok(ColorMap { scale: 1.0 / (hi - lo), offset: -lo / (hi - lo) })
}

fn bundled() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = ["digits", "edges", "blur"].iter().map(|m| root().join("models").join(m).join("model.pb")).collect();
    v.push(root().join("models/selfie/model.json"));
    v
}

fn ema(old: Option<f64>, new: f64) -> Option<f64> {
    Some(old.map_or(new, |o| o * 0.9 + new * 0.1))
}

impl App {
    fn new(device: &wgpu::Device, queue: &wgpu::Queue, format: wgpu::TextureFormat, args: &Args) -> Res<App> {
        // The executor shares the viewer's device: its output buffers are drawable as they are.
        let ctx = Context::from_device(device.clone(), queue.clone());
        let renderer = Renderer::new(device, queue, format)?;
        let paths = if args.models.is_empty() { bundled() } else { args.models.clone() };
        parse_range(&args.range)?;
        let mut slots = Vec::new();
        for p in &paths {
            slots.push(load_slot(&ctx, p, args).map_err(|e| format!("{}: {e}", p.display()))?);
        }
        if args.show >= slots.len() {
            return Err(format!("--show {}: there are {} models (0..{})", args.show, slots.len(), slots.len() - 1));
        }
        let mut app = App { ctx, renderer, slots, current: args.show, paused: false, t: 0.0, frame_ms: None, infer_ms: None, last_input: None };
        let n = app.slots[app.current].sources.len();
        if args.source >= n {
            return Err(format!("--source {}: model {} has {n} inputs (0..{})", args.source, app.current, n - 1));
        }
        app.slots[app.current].source = args.source;
        Ok(app)
    }

    /// Runs the current model on its input at time `self.t` and draws the frame into `target`.
    fn frame(&mut self, target: &wgpu::TextureView, width: u32, height: u32, out_map: ColorMap) -> Res<Layout> {
        let device = self.ctx.device().clone();
        let queue = self.ctx.queue().clone();
        let (current, n_slots) = (self.current, self.slots.len());
        let slot = &mut self.slots[current];
        let [h, w, c] = slot.in_dims;
        let src = &slot.sources[slot.source];
        let animate = !self.paused;
        let x = Tensor::from_f32(vec![1, h, w, c], src.render(h, w, c, self.t, slot.sample, animate)).map_err(|e| e.to_string())?;
        let xs = x.as_f32().map_err(|e| e.to_string())?;
        queue.write_buffer(&slot.in_buf, 0, bytemuck::cast_slice(xs));

        // Inference: upload the feed, run every kernel, copy the fetch into `out_buf` (on the
        // GPU); timed until the GPU is done so the figure is the model's, not the submit's.
        let t0 = Instant::now();
        slot.model.run_into(&[(slot.input.as_str(), &x)], &[(slot.output.as_str(), &slot.out_buf)]).map_err(|e| e.to_string())?;
        device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| format!("waiting for the GPU: {e}"))?;
        self.infer_ms = ema(self.infer_ms, t0.elapsed().as_secs_f64() * 1e3);

        let info = self.ctx.adapter_info();
        let header = vec![
            format!("wgtf viewer - model {}/{}: {} ({})", current + 1, n_slots, slot.name, short(&slot.path)),
            format!(
                "frame {}   inference {:.2} ms, output drawn from GPU memory   {} ({:?})",
                self.frame_ms.map_or("-".to_string(), |f| format!("{f:.1} ms")),
                self.infer_ms.unwrap_or(0.0),
                info.name,
                info.backend
            ),
        ];
        let shown = src.current(self.t, slot.sample, animate);
        let in_caption = format!("{} [1,{h},{w},{c}]  {}", slot.input, src.name(shown));
        let out_caption = match slot.kind {
            Kind::Image => format!("{} [1,{},{},{}]", slot.output, slot.out_dims[0], slot.out_dims[1], slot.out_dims[2]),
            Kind::Mask => format!("{} [1,{},{},1] as a mask over the input", slot.output, slot.out_dims[0], slot.out_dims[1]),
            Kind::Classifier { classes, softmax } => {
                format!("{} [1,{classes}] top {}{}", slot.output, classes.min(5), if softmax { " (softmax)" } else { "" })
            }
        };
        let frame = Frame {
            input: &slot.in_buf,
            in_dims: [h as u32, w as u32, c as u32],
            in_map: ColorMap::UNIT,
            output: &slot.out_buf,
            out_dims: slot.out_dims.map(|d| d as u32),
            out_map,
            kind: slot.kind,
            labels: &slot.labels,
            header,
            in_caption,
            out_caption,
            footer: "Tab: next model   I: next input   N: next sample   Space: pause   Esc: quit".into(),
        };
        let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("viewer frame") });
        let layout = self.renderer.draw(&mut enc, target, width, height, &frame);
        queue.submit([enc.finish()]);
        self.last_input = Some(x);
        Ok(layout)
    }

    fn key(&mut self, k: &str, shift: bool) {
        let n = self.slots.len();
        match k {
            "tab" | "m" => self.current = if shift { (self.current + n - 1) % n } else { (self.current + 1) % n },
            "i" => {
                let s = &mut self.slots[self.current];
                s.source = (s.source + 1) % s.sources.len();
            }
            "n" | "right" => self.slots[self.current].sample += 1,
            "left" => {
                let s = &mut self.slots[self.current];
                s.sample = s.sample.saturating_sub(1);
            }
            "space" => self.paused = !self.paused,
            _ => {}
        }
    }
}

/// Loads a model and works out what to feed and what to show.
fn load_slot(ctx: &Context, path: &Path, args: &Args) -> Res<Slot> {
    let model = ctx.load(path).map_err(|e| e.to_string())?;
    let inputs = model.inputs();
    let info = match &args.input {
        Some(name) => {
            let want = name.strip_suffix(":0").unwrap_or(name);
            inputs.iter().find(|i| i.name.strip_suffix(":0") == Some(want)).cloned().ok_or_else(|| {
                format!("no placeholder '{name}'; placeholders: {}", inputs.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", "))
            })?
        }
        None => match inputs.as_slice() {
            [one] => one.clone(),
            [] => return Err("the model has no placeholder to feed".into()),
            many => {
                return Err(format!(
                    "the model has {} placeholders ({}); pick one with --input NAME",
                    many.len(),
                    many.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", ")
                ))
            }
        },
    };
    if info.dtype.is_some_and(|d| d != wgtf::DType::F32) {
        return Err(format!("input {} is {}; the viewer feeds float32 images [1, H, W, C]", info.name, info.dtype.map(|d| d.to_string()).unwrap_or_default()));
    }
    let (dw, dh) = parse_size(&args.size)?;
    let in_dims = match info.shape.as_deref() {
        None => [dh, dw, 3],
        Some([n, h, w, c]) if n.is_none_or(|n| n == 1) => [h.unwrap_or(dh), w.unwrap_or(dw), c.unwrap_or(3)],
        Some(s) => {
            let s: Vec<String> = s.iter().map(|d| d.map_or("?".into(), |d| d.to_string())).collect();
            return Err(format!("input {} has shape [{}]; the viewer feeds images [1, H, W, C]", info.name, s.join(", ")));
        }
    };
    if in_dims[2] == 0 || in_dims[2] > 4 {
        return Err(format!("input {} has {} channels; the viewer makes images of 1 to 4 channels", info.name, in_dims[2]));
    }
    let output = match &args.output {
        Some(o) => o.clone(),
        None => model.outputs().into_iter().next().ok_or("the model has no output")?,
    };
    // One run with a blank input tells the output's shape (the only readback the viewer makes).
    let [h, w, c] = in_dims;
    let blank = Tensor::zeros(wgtf::DType::F32, vec![1, h, w, c]).map_err(|e| e.to_string())?;
    let probe = model.run(&[(info.name.as_str(), &blank)], &[output.as_str()]).map_err(|e| e.to_string())?;
    let y = &probe[0];
    if !y.dtype().is_float() {
        return Err(format!("output {output} is {}; the viewer shows float outputs (pick another with --output)", y.dtype()));
    }
    let (kind, out_dims) = match y.shape() {
        // One channel out of a colour image: a segmentation mask, drawn over the input.
        [1, oh, ow, 1] if c >= 3 && *oh > 1 && *ow > 1 => (Kind::Mask, [*oh, *ow, 1]),
        [1, oh, ow, oc] => (Kind::Image, [*oh, *ow, *oc]),
        [1, k] | [k] if *k > 0 => {
            let v = y.to_f32_vec().map_err(|e| e.to_string())?;
            let probs = v.iter().all(|x| (0.0..=1.0).contains(x)) && (v.iter().sum::<f32>() - 1.0).abs() < 1e-3;
            (Kind::Classifier { classes: *k as u32, softmax: !probs }, [1, *k, 1])
        }
        s => return Err(format!("output {output} has shape {s:?}; the viewer shows images [1, H, W, C] and scores [1, K] (pick another with --output)")),
    };
    let labels = match (&args.labels, path.parent().map(|d| d.join("labels.txt"))) {
        (Some(l), _) => wgtf::image::read_labels(l).map_err(|e| e.to_string())?,
        (None, Some(l)) if l.exists() && matches!(kind, Kind::Classifier { .. }) => wgtf::image::read_labels(l).map_err(|e| e.to_string())?,
        _ => Vec::new(),
    };

    let mut sources = Vec::new();
    let digits = root().join("models/digits");
    if matches!(kind, Kind::Classifier { .. }) && in_dims == [8, 8, 1] && digits.join("test_x.npy").exists() {
        let x = Tensor::read_npy(digits.join("test_x.npy")).and_then(|t| t.to_f32_vec()).map_err(|e| e.to_string())?;
        let labels = Tensor::read_npy(digits.join("test_y.npy")).and_then(|t| t.to_i64_vec()).map_err(|e| e.to_string())?;
        if x.len() == labels.len() * 64 {
            sources.push(Source::Digits { x, labels });
        }
    }
    sources.push(Source::Pattern);
    let mut files: Vec<PathBuf> = Vec::new();
    if matches!(kind, Kind::Image | Kind::Mask) {
        files.extend(["china.jpg", "flower.jpg", "astronaut.png"].iter().map(|f| root().join("models/samples").join(f)).filter(|p| p.exists()));
    }
    files.extend(args.images.iter().cloned());
    for f in files {
        let opts = wgtf::image::ImageOptions { resize: Some((w as u32, h as u32)), channels: Some(c.min(4)), ..Default::default() };
        let t = wgtf::image::read_image(&f, &opts, None).map_err(|e| e.to_string())?;
        sources.push(Source::Image { path: f, pixels: t.to_f32_vec().map_err(|e| e.to_string())? });
    }

    let device = ctx.device();
    let buf = |label: &str, words: usize| {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: (words.max(4) * 4) as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        })
    };
    let in_buf = buf("viewer input", h * w * c);
    let out_buf = buf("viewer output", y.len());
    let name = path
        .parent()
        .filter(|_| path.file_name().is_some_and(|f| f == "model.pb" || f == "model.json"))
        .and_then(|d| d.file_name())
        .or_else(|| path.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Slot { name, path: path.to_path_buf(), model, input: info.name, output, in_dims, out_dims, kind, labels, sources, source: 0, sample: 0, in_buf, out_buf })
}

/// A device for offscreen rendering (and inference).
fn headless_device() -> Res<(wgpu::Device, wgpu::Queue)> {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    if std::env::var_os("WGPU_BACKEND").is_none() {
        // Vulkan, Metal, DX12 (OpenGL only when asked for: its probing is noisy).
        desc.backends = wgpu::Backends::PRIMARY;
    }
    let instance = wgpu::Instance::new(desc);
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default())).map_err(|e| {
        format!("no GPU adapter ({e}). Install a Vulkan driver (on Linux without a GPU: `apt-get install mesa-vulkan-drivers libvulkan1`)")
    })?;
    request_device(&adapter)
}

fn request_device(adapter: &wgpu::Adapter) -> Res<(wgpu::Device, wgpu::Queue)> {
    pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("wgtf viewer"),
        required_features: adapter.features() & wgpu::Features::SHADER_F16,
        required_limits: adapter.limits(),
        experimental_features: wgpu::ExperimentalFeatures::disabled(),
        memory_hints: wgpu::MemoryHints::Performance,
        trace: wgpu::Trace::Off,
    }))
    .map_err(|e| format!("cannot open the GPU device: {e}"))
}

/// The result of headless rendering.
#[cfg_attr(not(test), allow(dead_code))]
struct Shot {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
    layout: Layout,
    /// What the last frame fed the model.
    input: Tensor,
    model_path: PathBuf,
    input_name: String,
    output_name: String,
    out_map: ColorMap,
    infer_ms: f64,
}

/// Renders `args.frames` frames offscreen and writes the last one to `args.out`.
fn headless(args: &Args) -> Res<Shot> {
    let (device, queue) = headless_device()?;
    let format = wgpu::TextureFormat::Rgba8Unorm;
    let mut app = App::new(&device, &queue, format, args)?;
    let out_map = parse_range(&args.range)?;
    let (width, height) = (args.width.clamp(64, 8192), args.height.clamp(64, 8192));
    let tex = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("viewer offscreen"),
        size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let view = tex.create_view(&Default::default());
    let mut layout = Layout::default();
    let mut last = Instant::now();
    for i in 0..args.frames.max(1) {
        app.t = i as f32 / 30.0;
        layout = app.frame(&view, width, height, out_map)?;
        let now = Instant::now();
        app.frame_ms = ema(app.frame_ms, (now - last).as_secs_f64() * 1e3);
        last = now;
    }
    // Read the last frame back (the only readback: to write the PNG).
    let row = (width * 4).div_ceil(256) * 256;
    let read = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("viewer screenshot"),
        size: (row * height) as u64,
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let mut enc = device.create_command_encoder(&Default::default());
    enc.copy_texture_to_buffer(
        tex.as_image_copy(),
        wgpu::TexelCopyBufferInfo { buffer: &read, layout: wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(row), rows_per_image: Some(height) } },
        wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
    );
    queue.submit([enc.finish()]);
    let (tx, rx) = std::sync::mpsc::channel();
    read.slice(..).map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| format!("waiting for the GPU: {e}"))?;
    rx.recv().map_err(|_| "the screenshot was never mapped".to_string())?.map_err(|e| format!("mapping the screenshot: {e}"))?;
    let mapped = read.slice(..).get_mapped_range().map_err(|e| format!("mapping the screenshot: {e:?}"))?;
    let mut rgba = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height as usize {
        rgba.extend_from_slice(&mapped[y * row as usize..y * row as usize + width as usize * 4]);
    }
    drop(mapped);
    read.unmap();
    let img = image::RgbaImage::from_raw(width, height, rgba.clone()).ok_or("screenshot size mismatch")?;
    img.save(&args.out).map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    let slot = &app.slots[app.current];
    Ok(Shot {
        width,
        height,
        rgba,
        layout,
        input: app.last_input.take().ok_or("no frame rendered")?,
        model_path: slot.path.clone(),
        input_name: slot.input.clone(),
        output_name: slot.output.clone(),
        out_map,
        infer_ms: app.infer_ms.unwrap_or(0.0),
    })
}

// ---------------------------------------------------------------------------------------------
// The window
// ---------------------------------------------------------------------------------------------

mod window {
    use super::*;
    use winit::application::ApplicationHandler;
    use winit::event::{ElementState, WindowEvent};
    use winit::event_loop::{ActiveEventLoop, EventLoop};
    use winit::keyboard::{Key, ModifiersState, NamedKey};
    use winit::window::{Window, WindowId};

    struct State {
        window: Arc<Window>,
        surface: wgpu::Surface<'static>,
        config: wgpu::SurfaceConfiguration,
        device: wgpu::Device,
        queue: wgpu::Queue,
        app: App,
        start: Instant,
        paused_at: f32,
        last: Instant,
    }

    struct Handler {
        args: Args,
        out_map: ColorMap,
        state: Option<State>,
        mods: ModifiersState,
        error: Option<String>,
    }

    impl Handler {
        fn init(&mut self, el: &ActiveEventLoop) -> Res<State> {
            let attrs = Window::default_attributes()
                .with_title("wgtf viewer")
                .with_inner_size(winit::dpi::LogicalSize::new(self.args.width as f64, self.args.height as f64));
            let window = Arc::new(el.create_window(attrs).map_err(|e| format!("cannot open a window: {e}"))?);
            let desc = wgpu::InstanceDescriptor::new_with_display_handle_from_env(Box::new(el.owned_display_handle()));
            let instance = wgpu::Instance::new(desc);
            let surface = instance.create_surface(window.clone()).map_err(|e| format!("cannot draw into the window: {e}"))?;
            let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
                compatible_surface: Some(&surface),
                ..Default::default()
            }))
            .map_err(|e| format!("no GPU adapter can draw into this window ({e}); try --headless"))?;
            let (device, queue) = request_device(&adapter)?;
            let size = window.inner_size();
            let mut config = surface
                .get_default_config(&adapter, size.width.max(1), size.height.max(1))
                .ok_or("the window surface is not supported by this adapter")?;
            // Prefer a non-sRGB format: the shader writes display values as they are.
            let caps = surface.get_capabilities(&adapter);
            if let Some(f) = caps.formats.iter().find(|f| !f.is_srgb()) {
                config.format = *f;
            }
            config.present_mode = wgpu::PresentMode::AutoVsync;
            surface.configure(&device, &config);
            let app = App::new(&device, &queue, config.format, &self.args)?;
            Ok(State { window, surface, config, device, queue, app, start: Instant::now(), paused_at: 0.0, last: Instant::now() })
        }
    }

    impl ApplicationHandler for Handler {
        fn resumed(&mut self, el: &ActiveEventLoop) {
            if self.state.is_some() {
                return;
            }
            match self.init(el) {
                Ok(s) => {
                    s.window.request_redraw();
                    self.state = Some(s);
                }
                Err(e) => {
                    self.error = Some(e);
                    el.exit();
                }
            }
        }

        fn window_event(&mut self, el: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
            let Some(st) = self.state.as_mut() else { return };
            match event {
                WindowEvent::CloseRequested => el.exit(),
                WindowEvent::Resized(size) => {
                    if size.width > 0 && size.height > 0 {
                        st.config.width = size.width;
                        st.config.height = size.height;
                        st.surface.configure(&st.device, &st.config);
                    }
                }
                WindowEvent::ModifiersChanged(m) => self.mods = m.state(),
                WindowEvent::KeyboardInput { event, .. } if event.state == ElementState::Pressed => {
                    let k = match &event.logical_key {
                        Key::Named(NamedKey::Escape) => return el.exit(),
                        Key::Named(NamedKey::Tab) => "tab".to_string(),
                        Key::Named(NamedKey::Space) => "space".to_string(),
                        Key::Named(NamedKey::ArrowRight) => "right".to_string(),
                        Key::Named(NamedKey::ArrowLeft) => "left".to_string(),
                        Key::Character(c) => c.to_lowercase(),
                        _ => return,
                    };
                    if k == "q" {
                        return el.exit();
                    }
                    let was_paused = st.app.paused;
                    st.app.key(&k, self.mods.shift_key());
                    if st.app.paused != was_paused {
                        // Resume the animation where it stopped.
                        if st.app.paused {
                            st.paused_at = st.app.t;
                        } else {
                            st.start = Instant::now() - std::time::Duration::from_secs_f32(st.paused_at);
                        }
                    }
                }
                WindowEvent::RedrawRequested => {
                    let frame = match st.surface.get_current_texture() {
                        wgpu::CurrentSurfaceTexture::Success(f) | wgpu::CurrentSurfaceTexture::Suboptimal(f) => f,
                        wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                            st.surface.configure(&st.device, &st.config);
                            st.window.request_redraw();
                            return;
                        }
                        _ => {
                            st.window.request_redraw();
                            return;
                        }
                    };
                    let view = frame.texture.create_view(&Default::default());
                    if !st.app.paused {
                        st.app.t = st.start.elapsed().as_secs_f32();
                    }
                    let now = Instant::now();
                    st.app.frame_ms = ema(st.app.frame_ms, (now - st.last).as_secs_f64() * 1e3);
                    st.last = now;
                    if let Err(e) = st.app.frame(&view, st.config.width, st.config.height, self.out_map) {
                        self.error = Some(e);
                        el.exit();
                        return;
                    }
                    st.window.pre_present_notify();
                    st.queue.present(frame);
                    st.window.request_redraw();
                }
                _ => {}
            }
        }
    }

    pub fn run(args: Args) -> Res<()> {
        let out_map = parse_range(&args.range)?;
        let el = EventLoop::new().map_err(|e| {
            format!("cannot open a window ({e}); without a display, render offscreen: --headless --frames 30 --out shot.png")
        })?;
        let mut h = Handler { args, out_map, state: None, mods: ModifiersState::empty(), error: None };
        el.run_app(&mut h).map_err(|e| format!("window: {e}"))?;
        match h.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let r = if args.headless {
        headless(&args).map(|s| {
            println!(
                "rendered {} frame(s) of {}x{} offscreen; {} ({} -> {}) inference {:.2} ms; wrote {}",
                args.frames.max(1),
                s.width,
                s.height,
                short(&s.model_path),
                s.input_name,
                s.output_name,
                s.infer_ms,
                args.out.display()
            )
        })
    } else {
        window::run(args)
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("viewer: error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests;
