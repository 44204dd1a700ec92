//! Drawing: layout, the top-k compute pass and the one render pass (display.wgsl, topk.wgsl).
//! Everything the pass reads is already on the GPU: the input buffer, the model's output buffer
//! (filled by `Model::run_into`), the top-k buffer (filled by topk.wgsl) and a small text buffer.
use bytemuck::{Pod, Zeroable};

/// What the right panel shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// An image `[1, H, W, C]`.
    Image,
    /// A mask `[1, H, W, 1]` of an image input (segmentation): drawn over the input, which
    /// keeps its colours where the mask is 1 and fades to a dim gray where it is 0.
    Mask,
    /// Scores `[1, K]`: top rows with labels and bars; `softmax` when the scores are logits.
    Classifier { classes: u32, softmax: bool },
}

/// `colour = clamp(value * scale + offset, 0, 1)` per channel (C = 1: gray; C >= 3: RGB).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColorMap {
    pub scale: f32,
    pub offset: f32,
}

impl ColorMap {
    pub const UNIT: ColorMap = ColorMap { scale: 1.0, offset: 0.0 };
    /// The 8-bit value the shader writes for `v` into a UNORM target.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn to_u8(self, v: f32) -> u8 {
        ((v * self.scale + self.offset).clamp(0.0, 1.0) * 255.0).round() as u8
    }
}

/// One frame's content.
pub struct Frame<'a> {
    pub input: &'a wgpu::Buffer,
    /// H, W, C of the input.
    pub in_dims: [u32; 3],
    pub in_map: ColorMap,
    pub output: &'a wgpu::Buffer,
    /// H, W, C of an image output (ignored for classifiers).
    pub out_dims: [u32; 3],
    pub out_map: ColorMap,
    pub kind: Kind,
    pub labels: &'a [String],
    pub header: Vec<String>,
    pub in_caption: String,
    pub out_caption: String,
    pub footer: String,
}

/// Pixel rectangles of a frame (x, y, w, h).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Layout {
    pub in_rect: [f32; 4],
    pub out_rect: [f32; 4],
    pub bars: [f32; 4],
    pub rows: u32,
    /// Glyph pixel sizes: titles and bar labels, and the rest.
    pub text_scale: f32,
    pub small_scale: f32,
    pub header_y: f32,
    pub caption_y: f32,
    pub footer_y: f32,
    pub out_panel: [f32; 4],
}

const MARGIN: f32 = 16.0;
/// Characters of a label shown (and stored per class).
const LABEL_CHARS: usize = 16;
const MAX_ITEMS: usize = 64;
const MAX_CHARS: usize = 4096;

/// Fits an image of `w` x `h` in a panel: integer zoom when it fits, pixel-aligned and centred.
fn fit(panel: [f32; 4], w: u32, h: u32) -> [f32; 4] {
    let (w, h) = (w.max(1) as f32, h.max(1) as f32);
    let mut s = (panel[2] / w).min(panel[3] / h);
    if s >= 1.0 {
        s = s.floor();
    }
    let (rw, rh) = ((w * s).floor().max(1.0), (h * s).floor().max(1.0));
    [(panel[0] + (panel[2] - rw) / 2.0).floor(), (panel[1] + (panel[3] - rh) / 2.0).floor(), rw, rh]
}

/// Where everything goes in a `width` x `height` target.
pub fn layout(width: u32, height: u32, frame_in: [u32; 3], frame_out: [u32; 3], kind: Kind) -> Layout {
    let (w, h) = (width as f32, height as f32);
    let ts: f32 = if height >= 400 && width >= 700 { 2.0 } else { 1.0 };
    let small: f32 = if height >= 800 && width >= 1400 { 2.0 } else { 1.0 };
    let header_y = MARGIN * 0.75;
    let caption_y = header_y + 10.0 * ts + 10.0 * small + MARGIN;
    let top = caption_y + 10.0 * small + 4.0;
    let footer_y = h - MARGIN * 0.75 - 8.0 * small;
    let bottom = footer_y - MARGIN;
    let pw = ((w - 3.0 * MARGIN) / 2.0).max(1.0);
    let ph = (bottom - top).max(1.0);
    let left = [MARGIN, top, pw, ph];
    let right = [2.0 * MARGIN + pw, top, pw, ph];
    let in_rect = fit(left, frame_in[1], frame_in[0]);
    let mut l = Layout { in_rect, text_scale: ts, small_scale: small, header_y, caption_y, footer_y, out_panel: right, ..Default::default() };
    match kind {
        Kind::Image | Kind::Mask => l.out_rect = fit(right, frame_out[1], frame_out[0]),
        Kind::Classifier { classes, .. } => {
            l.rows = classes.clamp(1, 5);
            let row_h = (ph / l.rows as f32).min(28.0 * ts).floor();
            let label_w = (LABEL_CHARS.min(10) as f32 + 1.0) * 8.0 * ts;
            let pct_w = 7.0 * 8.0 * ts;
            let y0 = (top + (ph - row_h * l.rows as f32) / 2.0).floor();
            l.bars = [right[0] + label_w, y0, (pw - label_w - pct_w).max(8.0).floor(), row_h];
            l.out_rect = [right[0], y0, pw, row_h * l.rows as f32];
        }
    }
    l
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ViewU {
    screen: [f32; 2],
    flags: u32,
    n_items: u32,
    in_rect: [f32; 4],
    out_rect: [f32; 4],
    in_dims: [u32; 4],
    out_dims: [u32; 4],
    in_map: [f32; 4],
    out_map: [f32; 4],
    bars: [f32; 4],
    cls: [u32; 4],
    text: [u32; 4],
    text_rows: [f32; 4],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Item {
    pos: [f32; 2],
    scale: f32,
    kind: u32,
    start: u32,
    len: u32,
    color: u32,
    rank: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct TopkU {
    k: u32,
    classes: u32,
    softmax: u32,
    _pad: u32,
}

fn rgba(r: u8, g: u8, b: u8, a: u8) -> u32 {
    u32::from_le_bytes([r, g, b, a])
}

/// The font: 128 ASCII glyphs, 8 rows of 8 bits each (bit 0 = left), two words per glyph.
fn font_words() -> Vec<u32> {
    font8x8::legacy::BASIC_LEGACY
        .iter()
        .flat_map(|g| [u32::from_le_bytes([g[0], g[1], g[2], g[3]]), u32::from_le_bytes([g[4], g[5], g[6], g[7]])])
        .collect()
}

fn ascii(s: &str) -> impl Iterator<Item = u8> + '_ {
    s.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c as u8 } else { b'?' })
}

pub struct Renderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pub format: wgpu::TextureFormat,
    pipeline: wgpu::RenderPipeline,
    topk_pipeline: wgpu::ComputePipeline,
    view_buf: wgpu::Buffer,
    topk_params: wgpu::Buffer,
    topk_buf: wgpu::Buffer,
    items_buf: wgpu::Buffer,
    text_buf: wgpu::Buffer,
    text_cap: u64,
    font: Vec<u32>,
}

fn storage(device: &wgpu::Device, label: &str, size: u64, extra: wgpu::BufferUsages) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: size.max(16),
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | extra,
        mapped_at_creation: false,
    })
}

impl Renderer {
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue, format: wgpu::TextureFormat) -> Result<Renderer, String> {
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("viewer display"),
            source: wgpu::ShaderSource::Wgsl(include_str!("display.wgsl").into()),
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("viewer display"),
            layout: None,
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState { format, blend: None, write_mask: wgpu::ColorWrites::ALL })],
            }),
            multiview_mask: None,
            cache: None,
        });
        let topk_module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("viewer topk"),
            source: wgpu::ShaderSource::Wgsl(include_str!("topk.wgsl").into()),
        });
        let topk_pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("viewer topk"),
            layout: None,
            module: &topk_module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        let uniform = |label: &str, size: u64| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(format!("the viewer's shaders do not compile on this device: {e}"));
        }
        let text_cap = 4 * (256 + 8192) as u64 + MAX_CHARS as u64;
        Ok(Renderer {
            device: device.clone(),
            queue: queue.clone(),
            format,
            pipeline,
            topk_pipeline,
            view_buf: uniform("viewer view", std::mem::size_of::<ViewU>() as u64),
            topk_params: uniform("viewer topk params", 16),
            topk_buf: storage(device, "viewer topk", 64, wgpu::BufferUsages::empty()),
            items_buf: storage(device, "viewer text items", (MAX_ITEMS * std::mem::size_of::<Item>()) as u64, wgpu::BufferUsages::empty()),
            text_buf: storage(device, "viewer text", text_cap, wgpu::BufferUsages::empty()),
            text_cap,
            font: font_words(),
        })
    }

    /// Records the frame into `enc`: the top-k pass (classifiers), then the render pass into
    /// `target` (`width` x `height`). Returns the layout used.
    pub fn draw(&mut self, enc: &mut wgpu::CommandEncoder, target: &wgpu::TextureView, width: u32, height: u32, f: &Frame) -> Layout {
        let l = layout(width, height, f.in_dims, f.out_dims, f.kind);
        let (ts, small) = (l.text_scale, l.small_scale);
        let (mode, classes, softmax) = match f.kind {
            Kind::Image => (0u32, 0u32, false),
            Kind::Classifier { classes, softmax } => (1, classes, softmax),
            Kind::Mask => (2, 0, false),
        };

        // Text: the font, the labels (fixed stride), then literal strings.
        let stride = LABEL_CHARS / 4;
        let mut words = self.font.clone();
        let labels_off = words.len() as u32;
        if mode == 1 {
            let max_labels = ((self.text_cap as usize / 4 - 256 - MAX_CHARS / 4) / stride) as u32;
            for c in 0..classes.min(max_labels) as usize {
                let name = match f.labels.get(c) {
                    Some(s) if !s.is_empty() => s.clone(),
                    _ => format!("#{c}"),
                };
                let mut bytes: Vec<u8> = ascii(&name).take(LABEL_CHARS.min(10)).collect();
                bytes.resize(LABEL_CHARS, b' ');
                words.extend(bytes.chunks(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])));
            }
        }
        let chars_off = words.len() as u32;
        let mut chars: Vec<u8> = Vec::new();
        let mut items: Vec<Item> = Vec::new();
        // A line of text, cut to `max_w` pixels.
        let mut text = |s: &str, x: f32, y: f32, scale: f32, color: u32, max_w: f32| {
            if items.len() >= MAX_ITEMS {
                return;
            }
            let fit = (max_w / (8.0 * scale)).max(0.0) as usize;
            let start = chars.len() as u32;
            chars.extend(ascii(s).take(fit.min(MAX_CHARS.saturating_sub(chars.len()))));
            let len = chars.len() as u32 - start;
            items.push(Item { pos: [x, y], scale, kind: 0, start, len, color, rank: 0 });
        };
        let white = rgba(235, 238, 245, 255);
        let dim = rgba(150, 156, 170, 255);
        let accent = rgba(255, 170, 60, 255);
        let full = width as f32 - 2.0 * MARGIN;
        let mut y = l.header_y;
        for (i, h) in f.header.iter().enumerate() {
            let sc = if i == 0 { ts } else { small };
            text(h, MARGIN, y, sc, if i == 0 { white } else { dim }, full);
            y += 10.0 * sc;
        }
        let panel_w = l.out_panel[2];
        text(&f.in_caption, MARGIN, l.caption_y, small, accent, panel_w);
        text(&f.out_caption, l.out_panel[0], l.caption_y, small, accent, panel_w);
        text(&f.footer, MARGIN, l.footer_y, small, dim, full);
        drop(text);
        if mode == 1 {
            for r in 0..l.rows {
                let y = l.bars[1] + r as f32 * l.bars[3] + (l.bars[3] - 8.0 * ts) / 2.0;
                let color = if r == 0 { white } else { dim };
                items.push(Item { pos: [l.out_panel[0], y], scale: ts, kind: 1, start: 0, len: LABEL_CHARS.min(10) as u32, color, rank: r });
                items.push(Item { pos: [l.bars[0] + l.bars[2] + 4.0 * ts, y], scale: ts, kind: 2, start: 0, len: 6, color, rank: r });
            }
        }
        chars.resize(chars.len().div_ceil(4) * 4, 0);
        words.extend(chars.chunks(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])));
        words.truncate(self.text_cap as usize / 4);
        self.queue.write_buffer(&self.text_buf, 0, bytemuck::cast_slice(&words));
        if !items.is_empty() {
            self.queue.write_buffer(&self.items_buf, 0, bytemuck::cast_slice(&items));
        }

        let u = ViewU {
            screen: [width as f32, height as f32],
            flags: self.format.is_srgb() as u32,
            n_items: items.len() as u32,
            in_rect: l.in_rect,
            out_rect: l.out_rect,
            in_dims: [f.in_dims[0], f.in_dims[1], f.in_dims[2], 0],
            out_dims: [f.out_dims[0], f.out_dims[1], f.out_dims[2], mode],
            in_map: [f.in_map.scale, f.in_map.offset, 0.0, 0.0],
            out_map: [f.out_map.scale, f.out_map.offset, 0.0, 0.0],
            bars: l.bars,
            cls: [l.rows, 0, 0, 0],
            text: [labels_off, stride as u32, chars_off, 0],
            text_rows: [
                l.caption_y + 10.0 * small,
                l.footer_y - 1.0,
                if mode == 1 { l.bars[1] } else { 0.0 },
                if mode == 1 { l.bars[1] + l.bars[3] * l.rows as f32 } else { 0.0 },
            ],
        };
        self.queue.write_buffer(&self.view_buf, 0, bytemuck::bytes_of(&u));

        if mode == 1 {
            let p = TopkU { k: l.rows, classes, softmax: softmax as u32, _pad: 0 };
            self.queue.write_buffer(&self.topk_params, 0, bytemuck::bytes_of(&p));
            let bg = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("viewer topk"),
                layout: &self.topk_pipeline.get_bind_group_layout(0),
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: self.topk_params.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 1, resource: f.output.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 2, resource: self.topk_buf.as_entire_binding() },
                ],
            });
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("viewer topk"), timestamp_writes: None });
            pass.set_pipeline(&self.topk_pipeline);
            pass.set_bind_group(0, &bg, &[]);
            pass.dispatch_workgroups(1, 1, 1);
        }

        let bg = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("viewer display"),
            layout: &self.pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: self.view_buf.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: f.input.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: f.output.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: self.topk_buf.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 4, resource: self.items_buf.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 5, resource: self.text_buf.as_entire_binding() },
            ],
        });
        let mut pass = enc.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("viewer display"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: target,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations { load: wgpu::LoadOp::Clear(wgpu::Color::BLACK), store: wgpu::StoreOp::Store },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &bg, &[]);
        pass.draw(0..3, 0..1);
        l
    }
}
