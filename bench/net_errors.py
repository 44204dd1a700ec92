#!/usr/bin/env python3
"""Max absolute and relative errors of wgtf (the `wgtf` CLI, target/release) against the outputs
TensorFlow computed for the net_* fixtures, with float tensors held as f32 and as f16
(`--precision f16`), and for the classifiers the agreement of the f16 run's top-1 and top-5
classes with TensorFlow's (per batch row): the README's Networks table. Needs numpy.
Run from the repository root: cargo build --release && python3 bench/net_errors.py"""
import json
import os
import subprocess
import tempfile

import numpy as np

root = "tests/fixtures/cases"
CLASSIFIERS = {"net_mobilenetv2", "net_resnet", "net_efficientnet"}


def run(d, c, precision):
    tmp = tempfile.mkdtemp()
    args = ["target/release/wgtf", "run", os.path.join(d, c["model"]), "--precision", precision]
    for k, v in c["feeds"].items():
        args += ["-i", f"{k}={os.path.join(d, v)}"]
    outs = []
    for i, (k, v) in enumerate(c["fetches"].items()):
        p = os.path.join(tmp, f"o{i}.npy"); outs.append((p, os.path.join(d, v)))
        args += ["-o", f"{k}={p}"]
    subprocess.run(args, check=True, capture_output=True)
    ma = mr = 0.0
    pairs = []
    for got, want in outs:
        g = np.load(got).astype(np.float64); w = np.load(want).astype(np.float64)
        pairs.append((g, w))
        ma = max(ma, float(np.max(np.abs(g - w))))
        big = np.abs(w) >= 1e-3 * np.max(np.abs(w))
        mr = max(mr, float(np.max(np.abs(g - w)[big] / np.abs(w)[big])))
    return ma, mr, pairs


def agreement(pairs, k):
    """Rows whose top-k classes (as a set; k = 1: the top class) match TensorFlow's."""
    same = total = 0
    for g, w in pairs:
        g = g.reshape(-1, g.shape[-1]); w = w.reshape(-1, w.shape[-1])
        for a, b in zip(g, w):
            same += set(np.argsort(-a)[:k]) == set(np.argsort(-b)[:k]); total += 1
    return f"{same}/{total}"


print("| network | f32 max abs | f32 max rel | f16 max abs | f16 max rel | f16 top-1 / top-5 agreement |")
print("|---|---|---|---|---|---|")
for name in ["net_mobilenetv2", "net_resnet", "net_efficientnet", "net_unet", "net_transformer", "net_lstm"]:
    d = os.path.join(root, name)
    c = json.load(open(os.path.join(d, "case.json")))
    a32, r32, _ = run(d, c, "f32")
    a16, r16, pairs = run(d, c, "f16")
    agree = f"{agreement(pairs, 1)} / {agreement(pairs, 5)}" if name in CLASSIFIERS else "-"
    print(f"| {name} | {a32:.1e} | {r32:.1e} | {a16:.1e} | {r16:.1e} | {agree} |", flush=True)
