// The browser test harness: runs cases through wgtf's JavaScript API and compares every output
// with TensorFlow's expected values, as tests/common/mod.rs does natively (same shape, same kind
// of dtype, |got - want| <= atol + rtol·|want|, integers and bools exactly).
import init, { Context } from "../pkg/index.js";

// A .npy file (format 1.0/2.0, little-endian, C order) as { data, shape, dtype }.
export function parseNpy(buf) {
  const bytes = new Uint8Array(buf);
  if (bytes[0] !== 0x93 || String.fromCharCode(...bytes.slice(1, 6)) !== "NUMPY") throw new Error("not a .npy file");
  const major = bytes[6];
  const view = new DataView(buf);
  const hlen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.slice(start, start + hlen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error("fortran order .npy");
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(",").map((s) => s.trim()).filter((s) => s).map(Number);
  const body = buf.slice(start + hlen);
  const kinds = {
    "<f4": [Float32Array, "float32"], "<f8": [Float64Array, "float64"], "<i4": [Int32Array, "int32"],
    "<i8": [BigInt64Array, "int64"], "|u1": [Uint8Array, "uint8"], "|b1": [Uint8Array, "bool"],
  };
  const k = kinds[descr];
  if (!k) throw new Error(`unsupported .npy dtype ${descr}`);
  let data = new k[0](body);
  let dtype = k[1];
  if (dtype === "float64") { data = Float32Array.from(data); dtype = "float32"; }
  return { data, shape, dtype };
}

async function fetchOk(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`fetching ${url}: HTTP ${r.status}`);
  return r;
}

export async function npy(url) {
  return parseNpy(await (await fetchOk(url)).arrayBuffer());
}

// An image file as NHWC float32 [1, H, W, 3] in 0..1 (what `wgtf run -i x=photo.png` feeds).
export async function imageTensor(url) {
  const bmp = await createImageBitmap(await (await fetchOk(url)).blob(), { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const g = canvas.getContext("2d", { colorSpace: "srgb" });
  g.drawImage(bmp, 0, 0);
  const px = g.getImageData(0, 0, bmp.width, bmp.height).data;
  const data = new Float32Array(bmp.width * bmp.height * 3);
  for (let i = 0, j = 0; i < px.length; i += 4, j += 3) {
    data[j] = px[i] / 255; data[j + 1] = px[i + 1] / 255; data[j + 2] = px[i + 2] / 255;
  }
  return { data, shape: [1, bmp.height, bmp.width, 3] };
}

const isFloat = (d) => d.startsWith("float") || d === "bfloat16";

// Compares like check.py; returns [maxabs] or throws naming the element.
export function compare(got, want, rtol, atol) {
  if (got.shape.join(",") !== want.shape.join(",")) throw new Error(`shape [${got.shape}], want [${want.shape}]`);
  const kind = (d) => (isFloat(d) ? "f" : d === "bool" ? "b" : "i");
  if (kind(got.dtype) !== kind(want.dtype)) throw new Error(`dtype ${got.dtype}, want ${want.dtype}`);
  const exact = !isFloat(want.dtype);
  let ma = 0;
  for (let i = 0; i < want.data.length; i++) {
    const a = Number(got.data[i]);
    const b = Number(want.data[i]);
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    const d = Math.abs(a - b);
    const ok = exact ? d === 0 : d <= atol + rtol * Math.abs(b);
    if (!ok || Number.isNaN(a) !== Number.isNaN(b)) throw new Error(`element ${i}: got ${a}, want ${b} (rtol ${rtol}, atol ${atol})`);
    if (d > ma) ma = d;
  }
  return ma;
}

// A case as its parts: the model URL, feed tensors, and the expected fetches with tolerances.
export async function loadCase(spec) {
  if (spec.fixture) {
    const base = `/tests/fixtures/cases/${spec.fixture}/`;
    const c = await (await fetchOk(base + "case.json")).json();
    const feeds = {};
    for (const [k, f] of Object.entries(c.feeds)) feeds[k] = await npy(base + f);
    const fetches = [];
    for (const [k, f] of Object.entries(c.fetches)) {
      const t = (c.fetch_tolerances || {})[k] || {};
      fetches.push({ name: k, want: await npy(base + f), rtol: t.rtol ?? c.rtol ?? 1e-5, atol: t.atol ?? c.atol ?? 1e-6 });
    }
    return { name: spec.fixture, model: base + c.model, feeds, fetches };
  }
  const feeds = {};
  for (const [k, f] of Object.entries(spec.feeds || {})) feeds[k] = await npy(f);
  for (const [k, f] of Object.entries(spec.images || {})) feeds[k] = await imageTensor(f);
  const fetches = [];
  for (const [k, f] of Object.entries(spec.fetches)) fetches.push({ name: k, want: await npy(f), rtol: spec.rtol, atol: spec.atol });
  return { name: spec.name, model: spec.model, feeds, fetches };
}

export async function loadModel(ctx, url) {
  if (url.endsWith(".json")) return ctx.loadGraphModel(url);
  return ctx.loadGraphDef(new Uint8Array(await (await fetchOk(url)).arrayBuffer()));
}

// Runs one case on `model`; returns "maxabs=..." or throws naming the fetch.
export async function check(c, model) {
  const out = await model.run(c.feeds, c.fetches.map((f) => f.name));
  let worst = 0;
  for (const f of c.fetches) {
    try {
      worst = Math.max(worst, compare(out[f.name], f.want, f.rtol, f.atol));
    } catch (e) {
      throw new Error(`${f.name}: ${e.message}`);
    }
  }
  return `maxabs=${worst.toExponential(2)}`;
}

export { init, Context };
