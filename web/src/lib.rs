//! wgtf in web pages: the same executor (import, lowering, kernels, runtime) on WebGPU through
//! WebAssembly, with a JavaScript API shaped like TensorFlow.js':
//!
//! ```js
//! import init, * as wgtf from "./pkg/wgtf.js";
//! await init();
//! const ctx = await wgtf.Context.create();
//! const model = await ctx.loadGraphModel("models/x/model.json");   // or ctx.loadGraphDef(bytes)
//! const out = await model.run({ "x:0": { data: new Float32Array(n), shape: [1, 224, 224, 3] } }, ["y:0"]);
//! model.dispose();
//! ```
//!
//! Errors reject with an `Error` whose message is the text the CLI prints (node, op, reason).
//! Everything here is glue: JavaScript values in and out, fetching files; the work is the
//! library's (`Model::run_async`, which awaits its readback: browsers cannot block).
use std::rc::Rc;

use js_sys::{Array, BigInt64Array, Float32Array, Int32Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use wgtf::{DType, LoadOptions, Tensor};

fn js_err(e: impl std::fmt::Display) -> JsValue {
    JsError::new(&e.to_string()).into()
}

/// A GPU device (a WebGPU adapter's) that any number of models share.
#[wasm_bindgen]
pub struct Context {
    inner: wgtf::Context,
}

#[wasm_bindgen]
impl Context {
    /// Requests a WebGPU adapter and device.
    pub async fn create() -> Result<Context, JsValue> {
        let opts = wgtf::ContextOptions { backends: Some(wgtf::wgpu::Backends::BROWSER_WEBGPU), ..Default::default() };
        let inner = wgtf::Context::new_async(opts).await.map_err(js_err)?;
        Ok(Context { inner })
    }

    /// The adapter: what the browser tells of it (vendor, architecture, device, description:
    /// `GPUDevice.adapterInfo`), else wgpu's adapter name.
    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> String {
        if let Some(d) = self.inner.device().as_webgpu() {
            let d: &JsValue = d.as_ref();
            if let Ok(info) = Reflect::get(d, &"adapterInfo".into()) {
                let parts: Vec<String> = ["vendor", "architecture", "device", "description"]
                    .iter()
                    .filter_map(|k| Reflect::get(&info, &(*k).into()).ok().and_then(|v| v.as_string()))
                    .filter(|s| !s.is_empty())
                    .collect();
                if !parts.is_empty() {
                    return format!("{} (WebGPU)", parts.join(" "));
                }
            }
        }
        let i = self.inner.adapter_info();
        let name = if i.name.is_empty() { "WebGPU adapter".to_string() } else { i.name.clone() };
        let driver = [i.driver.as_str(), i.driver_info.as_str()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" ");
        format!("{name} ({:?}{})", i.backend, if driver.is_empty() { String::new() } else { format!(", {driver}") })
    }

    /// Bytes of GPU buffers alive in this context (all its models).
    #[wasm_bindgen(getter, js_name = memoryBytes)]
    pub fn memory_bytes(&self) -> f64 {
        self.inner.memory_bytes() as f64
    }

    /// Loads a TF.js graph model: fetches `url` (a `model.json`) and the weight shards it names,
    /// relative to it. `precision`: "f32" (default) or "f16" (weights and activations held as
    /// f16; needs the adapter's shader-f16).
    #[wasm_bindgen(js_name = loadGraphModel)]
    pub fn load_graph_model(&self, url: String, precision: Option<String>) -> js_sys::Promise {
        let ctx = self.inner.clone();
        future_to_promise(async move {
            let precision = parse_precision(precision)?;
            let json = fetch_bytes(&url).await?;
            let path = std::path::Path::new(&url);
            let m = wgtf::import::tfjs::ModelJson::parse(&json, path).map_err(js_err)?;
            let mut shards = std::collections::HashMap::new();
            for p in m.shard_paths(path).map_err(js_err)? {
                let full = web_sys::Url::new_with_base(&p, &absolute(&url)?)?.href();
                shards.insert(p, fetch_bytes(&full).await?);
            }
            let built = m
                .build(path, &mut |p| shards.remove(p).ok_or_else(|| wgtf::Error::Other(format!("weight shard {p} was not fetched"))), None)
                .map_err(js_err)?;
            let graph = built.into_graph(None).map_err(js_err)?;
            let model = wgtf::Model::from_graph_with(&ctx, graph, precision).map_err(js_err)?;
            Ok(Model { inner: Some(Rc::new(model)) }.into())
        })
    }

    /// Loads a frozen GraphDef (`.pb`) from its bytes (`precision` as for `loadGraphModel`).
    #[wasm_bindgen(js_name = loadGraphDef)]
    pub fn load_graph_def(&self, bytes: &[u8], precision: Option<String>) -> Result<Model, JsValue> {
        let opts = LoadOptions { precision: parse_precision(precision)?, ..Default::default() };
        let m = self.inner.load_graph_def(bytes, &opts).map_err(js_err)?;
        Ok(Model { inner: Some(Rc::new(m)) })
    }
}

/// "f32" (or absent) and "f16".
fn parse_precision(p: Option<String>) -> Result<wgtf::Precision, JsValue> {
    p.as_deref().unwrap_or("f32").parse().map_err(|e: String| js_err(e))
}

/// A loaded model: its constants live on the GPU until `dispose()`.
#[wasm_bindgen]
pub struct Model {
    inner: Option<Rc<wgtf::Model>>,
}

#[wasm_bindgen]
impl Model {
    /// Runs the model: `feeds` maps tensor names (`"x:0"`, or signature keys) to
    /// `{ data, shape, dtype? }` (data a Float32Array, Int32Array, Uint8Array or BigInt64Array);
    /// resolves to `{ name: { data, shape, dtype } }` for every fetch.
    pub fn run(&self, feeds: JsValue, fetches: Vec<String>) -> js_sys::Promise {
        let model = self.inner.clone();
        future_to_promise(async move {
            let model = model.ok_or_else(|| js_err("the model was disposed"))?;
            let mut named = Vec::new();
            for key in Object::keys(feeds.dyn_ref::<Object>().ok_or_else(|| js_err("feeds must be an object"))?).iter() {
                let name = key.as_string().unwrap_or_default();
                let v = Reflect::get(&feeds, &key)?;
                named.push((name.clone(), to_tensor(&name, &v)?));
            }
            let f: Vec<(&str, &Tensor)> = named.iter().map(|(n, t)| (n.as_str(), t)).collect();
            let names: Vec<&str> = fetches.iter().map(String::as_str).collect();
            let outs = model.run_async(&f, &names).await.map_err(js_err)?;
            let result = Object::new();
            for (name, t) in fetches.iter().zip(outs) {
                Reflect::set(&result, &JsValue::from_str(name), &from_tensor(&t)?)?;
            }
            Ok(result.into())
        })
    }

    /// The placeholders: `[{ name, dtype, shape }]` (unknown dims `-1`, unknown rank `null`).
    #[wasm_bindgen(getter)]
    pub fn inputs(&self) -> Result<Array, JsValue> {
        let m = self.inner.as_ref().ok_or_else(|| js_err("the model was disposed"))?;
        let out = Array::new();
        for i in m.inputs() {
            let o = Object::new();
            Reflect::set(&o, &"name".into(), &i.name.into())?;
            Reflect::set(&o, &"dtype".into(), &i.dtype.map(|d| d.to_string()).into())?;
            let shape: JsValue = match i.shape {
                Some(s) => s.iter().map(|d| JsValue::from_f64(d.map_or(-1.0, |d| d as f64))).collect::<Array>().into(),
                None => JsValue::NULL,
            };
            Reflect::set(&o, &"shape".into(), &shape)?;
            out.push(&o);
        }
        Ok(out)
    }

    /// Likely outputs (tensors no node consumes).
    #[wasm_bindgen(getter)]
    pub fn outputs(&self) -> Result<Vec<String>, JsValue> {
        Ok(self.inner.as_ref().ok_or_else(|| js_err("the model was disposed"))?.outputs())
    }

    /// Frees the model's GPU memory (pending runs finish first).
    pub fn dispose(&mut self) {
        self.inner = None;
    }
}

/// `{ data, shape, dtype? }` as a tensor.
fn to_tensor(name: &str, v: &JsValue) -> Result<Tensor, JsValue> {
    let bad = |m: &str| js_err(format!("feed '{name}': {m}"));
    let data = Reflect::get(v, &"data".into())?;
    let shape_v = Reflect::get(v, &"shape".into())?;
    let shape: Vec<usize> = if shape_v.is_undefined() {
        vec![Reflect::get(&data, &"length".into())?.as_f64().unwrap_or(0.0) as usize]
    } else {
        Array::from(&shape_v).iter().map(|d| d.as_f64().filter(|x| *x >= 0.0 && x.fract() == 0.0).map(|x| x as usize).ok_or_else(|| bad("shape must be non-negative integers"))).collect::<Result<_, _>>()?
    };
    let dtype = Reflect::get(v, &"dtype".into())?.as_string();
    let t = if let Some(a) = data.dyn_ref::<Float32Array>() {
        Tensor::from_f32(shape, a.to_vec())
    } else if let Some(a) = data.dyn_ref::<Int32Array>() {
        Tensor::from_i32(shape, a.to_vec())
    } else if let Some(a) = data.dyn_ref::<BigInt64Array>() {
        Tensor::from_i64(shape, a.to_vec())
    } else if let Some(a) = data.dyn_ref::<Uint8Array>() {
        let v = a.to_vec();
        match dtype.as_deref() {
            Some("bool") => Tensor::from_bool(shape, v.iter().map(|&x| x != 0).collect()),
            _ => Tensor::new(DType::U8, shape, wgtf::tensor::Data::I32(v.iter().map(|&x| x as i32).collect())),
        }
    } else {
        return Err(bad("data must be a Float32Array, Int32Array, BigInt64Array or Uint8Array"));
    };
    let t = t.map_err(|e| bad(&e.to_string()))?;
    match dtype.as_deref() {
        None | Some("bool") | Some("uint8") => Ok(t),
        Some(d) => {
            let want = DType::from_name(d).ok_or_else(|| bad(&format!("unknown dtype '{d}'")))?;
            t.cast(want).map_err(|e| bad(&e.to_string()))
        }
    }
}

/// A tensor as `{ data, shape, dtype }`.
fn from_tensor(t: &Tensor) -> Result<JsValue, JsValue> {
    use wgtf::tensor::Data;
    let data: JsValue = match t.data() {
        Data::F32(v) => Float32Array::from(v.as_slice()).into(),
        Data::F64(v) => Float32Array::from(v.iter().map(|&x| x as f32).collect::<Vec<_>>().as_slice()).into(),
        Data::I32(v) => Int32Array::from(v.as_slice()).into(),
        Data::I64(v) => BigInt64Array::from(v.as_slice()).into(),
        Data::Bool(v) => Uint8Array::from(v.iter().map(|&b| b as u8).collect::<Vec<_>>().as_slice()).into(),
        Data::Str(_) => return Err(js_err("string outputs are not supported in the browser")),
    };
    let o = Object::new();
    Reflect::set(&o, &"data".into(), &data)?;
    let shape: Array = t.shape().iter().map(|&d| JsValue::from_f64(d as f64)).collect();
    Reflect::set(&o, &"shape".into(), &shape)?;
    Reflect::set(&o, &"dtype".into(), &t.dtype().to_string().into())?;
    Ok(o.into())
}

/// `url` made absolute against the page (or worker) location.
fn absolute(url: &str) -> Result<String, JsValue> {
    let base = Reflect::get(&js_sys::global(), &"location".into())?;
    let href = Reflect::get(&base, &"href".into())?.as_string().unwrap_or_default();
    Ok(web_sys::Url::new_with_base(url, &href)?.href())
}

/// The bytes at `url` (an error naming it unless the response is OK).
async fn fetch_bytes(url: &str) -> Result<Vec<u8>, JsValue> {
    let global = js_sys::global();
    let promise = if let Some(w) = global.dyn_ref::<web_sys::Window>() {
        w.fetch_with_str(url)
    } else if let Some(w) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        w.fetch_with_str(url)
    } else {
        return Err(js_err("no fetch in this environment"));
    };
    let resp: web_sys::Response = JsFuture::from(promise).await.map_err(|e| js_err(format!("fetching {url}: {e:?}")))?.dyn_into()?;
    if !resp.ok() {
        return Err(js_err(format!("fetching {url}: HTTP {}", resp.status())));
    }
    let buf = JsFuture::from(resp.array_buffer()?).await?;
    Ok(Uint8Array::new(&buf).to_vec())
}
