// The demo: a bundled real model (MediaPipe Selfie Segmentation as published for TF.js) run by
// wgtf on WebGPU; pick or drop an image, see the mask over it, the adapter and the latency.
// Served from the repository root by any static file server:
//   python3 -m http.server --bind 127.0.0.1 8000    →    http://127.0.0.1:8000/web/demo/
import init, { Context } from "../pkg/index.js";

const MODEL = "../../models/selfie/model.json";
const SAMPLE = "../../models/samples/astronaut.png";
const SIZE = 256;
const status = (s) => { document.getElementById("status").textContent = s; };
const test = new URLSearchParams(location.search).has("test");

// An image as RGB floats in 0..1, resized to SIZE×SIZE, drawn on the input canvas.
function pixels(img) {
  const c = document.getElementById("input");
  const g = c.getContext("2d", { willReadFrequently: true });
  g.drawImage(img, 0, 0, SIZE, SIZE);
  const px = g.getImageData(0, 0, SIZE, SIZE).data;
  const data = new Float32Array(SIZE * SIZE * 3);
  for (let i = 0, j = 0; i < px.length; i += 4, j += 3) {
    data[j] = px[i] / 255; data[j + 1] = px[i + 1] / 255; data[j + 2] = px[i + 2] / 255;
  }
  return data;
}

// The mask over the image: the photo where the mask is 1, a dim gray where 0, a blue rim at 0.5
// (as the native viewer draws it).
function draw(rgb, mask) {
  const c = document.getElementById("output");
  const g = c.getContext("2d");
  const out = g.createImageData(SIZE, SIZE);
  for (let p = 0; p < SIZE * SIZE; p++) {
    const m = Math.min(1, Math.max(0, mask[p]));
    const r = rgb[3 * p], gr = rgb[3 * p + 1], b = rgb[3 * p + 2];
    const gray = (0.299 * r + 0.587 * gr + 0.114 * b) * 0.35;
    const rim = 4 * m * (1 - m);
    const tint = [0.25, 0.65, 1.0];
    [r, gr, b].forEach((v, k) => {
      const base = gray + (v - gray) * m;
      out.data[4 * p + k] = 255 * (base + (tint[k] - base) * 0.5 * rim);
    });
    out.data[4 * p + 3] = 255;
  }
  g.putImageData(out, 0, 0);
}

async function main() {
  await init();
  const ctx = await Context.create();
  const model = await ctx.loadGraphModel(MODEL);
  const run = async (img) => {
    const data = pixels(img);
    const t0 = performance.now();
    const out = await model.run({ "input_1:0": { data, shape: [1, SIZE, SIZE, 3] } }, ["activation_10:0"]);
    const ms = performance.now() - t0;
    draw(data, out["activation_10:0"].data);
    const person = out["activation_10:0"].data.reduce((n, v) => n + (v > 0.5), 0) / (SIZE * SIZE);
    status(`${ctx.adapter} — inference ${ms.toFixed(1)} ms — ${(100 * person).toFixed(1)}% person`);
    return { ms, person };
  };
  const load = (src) => new Promise((ok, err) => { const i = new Image(); i.onload = () => ok(i); i.onerror = err; i.src = src; });
  const first = await run(await load(SAMPLE));
  // A second run (plans and pipelines are made by the first): the latency to show.
  const second = await run(await load(SAMPLE));
  const file = (f) => { if (f) load(URL.createObjectURL(f)).then(run).catch((e) => status(String(e))); };
  document.getElementById("file").addEventListener("change", (e) => file(e.target.files[0]));
  const drop = document.getElementById("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); file(e.dataTransfer.files[0]); });
  if (test) {
    // web/test.sh: the demo worked when it found the astronaut (about half of the photo).
    const ok = second.person > 0.3 && second.person < 0.8;
    window.__results = [{ name: "demo", ok, msg: `${ctx.adapter}: first run ${first.ms.toFixed(0)} ms, then ${second.ms.toFixed(1)} ms; ${(100 * second.person).toFixed(1)}% person` }];
    window.__results.adapter = ctx.adapter;
    document.title = "done";
  }
}

main().catch((e) => {
  status(`error: ${e.message || e}`);
  if (test) { window.__results = [{ name: "demo", ok: false, msg: String(e.message || e) }]; document.title = "done"; }
});
