#!/usr/bin/env python3
"""Runs the benchmarks and writes BENCHMARKS.md.

  .venv-tf/bin/python bench/make_models.py          # once: the models under target/bench-models/
  cargo build --release
  .venv-tf/bin/python bench/run.py [--iters N] [--out BENCHMARKS.md]

For each model: `wgtf bench --json` (latency percentiles and counters) and TensorFlow CPU on the
same machine in the same run (ratio), plus a matmul GFLOP/s sweep. If `nnx` (wonnx-cli) is on
PATH and target/bench-models/mobilenetv2_224.onnx exists (made with tf2onnx, see
bench/README.md), wonnx is timed on the same MobileNetV2 too.
"""
import argparse
import datetime
import json
import os
import platform
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


def wonnx_bench(onnx_path):
    nnx = shutil.which("nnx")
    if not nnx or not os.path.exists(onnx_path):
        return None
    out = subprocess.run([nnx, "infer", onnx_path, "--benchmark"], capture_output=True, text=True)
    for line in (out.stdout + out.stderr).splitlines():
        if "ms" in line and ("average" in line.lower() or "time" in line.lower()):
            return line.strip()
    return (out.stdout + out.stderr).strip().splitlines()[-1:] or None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    args = ap.parse_args()
    rows = []
    for name in ("mobilenetv2_224", "resnet50_224", "efficientnetb0_224"):
        p = os.path.join(MODELS, name + ".pb")
        if not os.path.exists(p):
            continue
        r = wgtf_bench(p, args.iters)
        t = tf_bench(p, args.iters)
        rows.append((name, r, t))
        print(name, "wgtf p50 %.1f ms" % r["p50_ms"], "TF CPU p50 %.1f ms" % t, flush=True)
    mm = []
    for n in (256, 512, 1024, 2048):
        p = os.path.join(MODELS, "matmul_%d.pb" % n)
        if not os.path.exists(p):
            continue
        r = wgtf_bench(p, 3 if n >= 1024 else 10)
        mm.append((n, r["p50_ms"], 2 * n ** 3 / (r["p50_ms"] * 1e6)))
        print("matmul", n, "%.2f GFLOP/s" % mm[-1][2], flush=True)
    adapter = rows[0][1]["adapter"] if rows else (mm and "?")
    lines = ["# Benchmarks", "",
             "Made by `bench/run.py` on %s (%s, %d cores), adapter **%s**, %s." % (
                 platform.node(), platform.machine(), os.cpu_count(), adapter, datetime.date.today().isoformat()),
             "Commands: `.venv-tf/bin/python bench/make_models.py && cargo build --release && .venv-tf/bin/python bench/run.py`.",
             "Random weights (speed only), batch 1, 224×224; wgtf figures from `wgtf bench --json` (the same run); TensorFlow CPU "
             "(tensorflow-cpu 2.21, `Session.run` on the same frozen graph) in the same run.", "",
             "| model | wgtf p50 ms | p90 ms | TF CPU p50 ms | wgtf / TF | dispatches | passes | submits | uploaded B/run | feed B | read back B/run | pipelines (cold/warm) | activations planned / peak live |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r, t in rows:
        lines.append("| %s | %.1f | %.1f | %.1f | %.1f× | %d | %d | %d | %d | %d | %d | %d / %d | %.2f× |" % (
            name, r["p50_ms"], r["p90_ms"], t, r["p50_ms"] / t, r["dispatches_per_run"], r["passes_per_run"],
            r["submits_per_run"], r["upload_bytes_per_run"], r["feed_bytes"], r["readback_bytes_per_run"],
            r["pipelines_created"], r["pipelines_created_warm"], r["activation_bytes"] / max(1, r["peak_live_bytes"])))
    lines += ["", "## Matmul (f32, [n,n]·[n,n], B constant)", "", "| n | p50 ms | GFLOP/s |", "|---|---|---|"]
    for n, ms, gf in mm:
        lines.append("| %d | %.1f | %.2f |" % (n, ms, gf))
    w = wonnx_bench(os.path.join(MODELS, "mobilenetv2_224.onnx"))
    lines += ["", "## wonnx", "", ("wonnx `nnx infer --benchmark` on the same MobileNetV2: %s" % w) if w else
              "wonnx was not measured in this run (`nnx` not on PATH or the ONNX model missing; see bench/README.md)."]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
