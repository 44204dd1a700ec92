#!/usr/bin/env python3
"""Max absolute and relative errors of wgtf (the `wgtf` CLI, target/release) against the outputs
TensorFlow computed for the net_* fixtures: the README's Networks table. Needs numpy.
Run from the repository root: cargo build --release && python3 bench/net_errors.py"""
import json
import os
import subprocess
import tempfile

import numpy as np

root = "tests/fixtures/cases"
for name in ["net_mobilenetv2", "net_resnet", "net_efficientnet", "net_unet", "net_transformer", "net_lstm"]:
    d = os.path.join(root, name)
    c = json.load(open(os.path.join(d, "case.json")))
    tmp = tempfile.mkdtemp()
    args = ["target/release/wgtf", "run", os.path.join(d, c["model"])]
    for k, v in c["feeds"].items():
        args += ["-i", f"{k}={os.path.join(d, v)}"]
    outs = []
    for i, (k, v) in enumerate(c["fetches"].items()):
        p = os.path.join(tmp, f"o{i}.npy"); outs.append((p, os.path.join(d, v)))
        args += ["-o", f"{k}={p}"]
    subprocess.run(args, check=True, capture_output=True)
    ma = mr = 0.0
    for got, want in outs:
        g = np.load(got).astype(np.float64); w = np.load(want).astype(np.float64)
        ma = max(ma, float(np.max(np.abs(g - w))))
        big = np.abs(w) >= 1e-3 * np.max(np.abs(w))
        mr = max(mr, float(np.max(np.abs(g - w)[big] / np.abs(w)[big])))
    print(f"{name}: max abs {ma:.1e} max rel {mr:.1e}")
