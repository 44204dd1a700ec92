#!/usr/bin/env python3
"""Runs the benchmarks and writes BENCHMARKS.md.

  .venv-tf/bin/python bench/make_models.py          # once: the models under target/bench-models/
  cargo build --release
  .venv-tf/bin/python bench/run.py [--iters N] [--out BENCHMARKS.md]

For each model: `wgtf bench --json` (latency percentiles and counters) and TensorFlow CPU on the
same machine in the same run (ratio), plus a matmul GFLOP/s sweep. If `nnx` (wonnx-cli:
`cargo install wonnx-cli`) is on PATH and target/bench-models/mobilenetv2_224.onnx exists
(`.venv-tf/bin/python bench/to_onnx.py`), wonnx is timed on the same MobileNetV2 too.
bench/NOTES.md (hand-written observations) is appended to the output.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MODELS = os.path.join(ROOT, "target", "bench-models")
WGTF = os.path.join(ROOT, "target", "release", "wgtf")


def wgtf_bench(path, iters, extra=()):
    out = subprocess.run([WGTF, "bench", path, "--json", "--iters", str(iters), "--warmup", "3", *extra],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def tf_bench(path, iters):
    import numpy as np
    import tensorflow as tf
    tf.config.threading.set_inter_op_parallelism_threads(0)
    gd = tf.compat.v1.GraphDef()
    with open(path, "rb") as f:
        gd.ParseFromString(f.read())
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.import_graph_def(gd, name="")
    ph = [op for op in g.get_operations() if op.type == "Placeholder"]
    consumed = {i.name for op in g.get_operations() for i in op.inputs}
    outs = [op.outputs[0] for op in g.get_operations()
            if op.outputs and op.outputs[0].name not in consumed and op.type not in ("Const", "NoOp")]
    feeds = {}
    for p in ph:
        shape = [d if d is not None else 1 for d in p.outputs[0].shape.as_list()]
        feeds[p.outputs[0]] = np.random.RandomState(0).uniform(-1, 1, shape).astype(np.float32)
    with tf.compat.v1.Session(graph=g) as s:
        for _ in range(3):
            s.run(outs, feeds)
        ts = []
        for _ in range(iters):
            t = time.perf_counter()
            s.run(outs, feeds)
            ts.append((time.perf_counter() - t) * 1e3)
    ts.sort()
    return ts[len(ts) // 2]


def wonnx_bench(onnx_path, image):
    """ms per inference of wonnx's `nnx infer --benchmark` (100 runs), or None."""
    nnx = shutil.which("nnx")
    if not nnx or not os.path.exists(onnx_path):
        return None
    env = dict(os.environ, XDG_RUNTIME_DIR=os.environ.get("XDG_RUNTIME_DIR", "/tmp"))
    out = subprocess.run([nnx, "infer", onnx_path, "-i", "input:0=" + image, "--benchmark"],
                         capture_output=True, text=True, env=env)
    m = re.search(r"time for (\d+) inferences: (\d+)ms", out.stdout + out.stderr, re.IGNORECASE)
    return int(m.group(2)) / int(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3, help="wgtf/TF rounds per model (the median is reported)")
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    args = ap.parse_args()
    rows = []
    wonnx = None
    for name in ("mobilenetv2_224", "resnet50_224", "efficientnetb0_224"):
        p = os.path.join(MODELS, name + ".pb")
        if not os.path.exists(p):
            continue
        rs, ts = [], []
        for rnd in range(args.rounds):
            rs.append(wgtf_bench(p, args.iters))
            ts.append(tf_bench(p, args.iters))
            if name == "mobilenetv2_224" and rnd == 0:
                wonnx = wonnx_bench(os.path.join(MODELS, "mobilenetv2_224.onnx"),
                                    os.path.join(ROOT, "models", "digits", "samples", "6.png"))
        rs.sort(key=lambda r: r["p50_ms"])
        r = rs[len(rs) // 2]
        r["min_ms"] = min(x["min_ms"] for x in rs)
        t = sorted(ts)[len(ts) // 2]
        rows.append((name, r, t))
        print(name, "wgtf p50 %.1f ms (min %.1f)" % (r["p50_ms"], r["min_ms"]), "TF CPU p50 %.1f ms" % t, flush=True)
    mm = []
    for n in (256, 512, 1024, 2048):
        p = os.path.join(MODELS, "matmul_%d.pb" % n)
        if not os.path.exists(p):
            continue
        r = wgtf_bench(p, 5 if n >= 1024 else 20)
        mm.append((n, r["p50_ms"], 2 * n ** 3 / (r["p50_ms"] * 1e6), 2 * n ** 3 / (r["min_ms"] * 1e6)))
        print("matmul", n, "%.2f GFLOP/s (best %.2f)" % mm[-1][2:], flush=True)
    adapter = rows[0][1]["adapter"] if rows else "?"
    lines = ["# Benchmarks", "",
             "Made by `bench/run.py` on %s (%s, %d cores), adapter **%s**, %s." % (
                 platform.node(), platform.machine(), os.cpu_count(), adapter, datetime.date.today().isoformat()),
             "",
             "Commands: `.venv-tf/bin/python bench/make_models.py && .venv-tf/bin/python bench/to_onnx.py && "
             "cargo install wonnx-cli && cargo build --release && .venv-tf/bin/python bench/run.py`.",
             "Random weights (speed only), batch 1, 224×224. wgtf: `wgtf bench MODEL --json --iters %d` (latency of "
             "`Model::run`: upload of the feed, all dispatches, readback); TensorFlow CPU: tensorflow-cpu 2.21 "
             "`Session.run` on the same frozen graph; each model is measured %d rounds alternating wgtf and TensorFlow, "
             "and the median round is shown (min: the fastest single wgtf run of all rounds)." % (args.iters, args.rounds),
             "",
             "| model | wgtf p50 ms | p90 ms | min ms | TF CPU p50 ms | wgtf / TF | dispatches | passes | submits | uploaded B/run | feed B | read back B/run | pipelines (cold/warm) | activations planned / peak live |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r, t in rows:
        lines.append("| %s | %.1f | %.1f | %.1f | %.1f | %.1f× | %d | %d | %d | %d | %d | %d | %d / %d | %.2f× |" % (
            name, r["p50_ms"], r["p90_ms"], r["min_ms"], t, r["p50_ms"] / t, r["dispatches_per_run"], r["passes_per_run"],
            r["submits_per_run"], r["upload_bytes_per_run"], r["feed_bytes"], r["readback_bytes_per_run"],
            r["pipelines_created"], r["pipelines_created_warm"], r["activation_bytes"] / max(1, r["peak_live_bytes"])))
    lines += ["", "## MobileNetV2 beside wonnx", ""]
    mob = [x for x in rows if x[0] == "mobilenetv2_224"]
    if wonnx and mob:
        r, t = mob[0][1], mob[0][2]
        lines += ["wonnx 0.5.1 (`nnx infer target/bench-models/mobilenetv2_224.onnx -i input:0=IMAGE --benchmark`: 100 "
                  "inferences) on the same adapter, the same MobileNetV2 converted by `bench/to_onnx.py` (tf2onnx, "
                  "opset 11, NCHW input, `ai.onnx.ml` import removed, ONNX shape inference), measured within the "
                  "MobileNetV2 rounds above.", "",
                  "| runtime | ms per inference | vs wgtf p50 |", "|---|---|---|",
                  "| wgtf (p50) | %.1f | 1.0× |" % r["p50_ms"],
                  "| wonnx (mean of 100) | %.1f | %.1f× slower |" % (wonnx, wonnx / r["p50_ms"]),
                  "| TensorFlow CPU (p50) | %.1f | %.2f× |" % (t, t / r["p50_ms"])]
    else:
        lines.append("wonnx was not measured in this run (`nnx` not on PATH or target/bench-models/mobilenetv2_224.onnx "
                     "missing: `cargo install wonnx-cli`, `.venv-tf/bin/python bench/to_onnx.py`).")
    lines += ["", "## Matmul (f32, [n,n]·[n,n], B constant)", "",
              "`wgtf bench target/bench-models/matmul_N.pb`: the time includes uploading A and reading C back.", "",
              "| n | p50 ms | GFLOP/s (p50) | GFLOP/s (best run) |", "|---|---|---|---|"]
    for n, ms, gf, best in mm:
        lines.append("| %d | %.1f | %.2f | %.2f |" % (n, ms, gf, best))
    notes = os.path.join(ROOT, "bench", "NOTES.md")
    if os.path.exists(notes):
        lines += ["", open(notes).read().strip()]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
