#!/usr/bin/env python3
"""The README's table of published models: wgtf's errors against TensorFlow 2.21 on every model of
the real-world corpus, loaded from model.json, beside TensorFlow's own float32-vs-float64 error
(as make_cases.py measured it) — the same measures as bench/net_errors.py: max absolute error, and
max relative error over outputs at least 1e-3 of the largest. Needs numpy and the corpus
(`python3 bench/realworld/run.py` builds it).

  python3 bench/realworld/errors.py [--wgtf target/release/wgtf] [--only ID,...] [--f16]

--f16: the same models with float tensors held as f16 (`wgtf run --precision f16`) beside f32,
and for the classifiers whether the f16 run picks TensorFlow's top class (per output row).
"""
import argparse
import json
import os
import subprocess
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CASES = os.path.join(HERE, "work", "cases", "json", "public")


# Models whose outputs are class scores (the last axis): top-1 agreement under --f16.
CLASSIFIERS = {"nsfwjs-mobilenet-v2-mid", "emotion", "human0-emotion", "gender", "gear"}


def errors(d, wgtf, precision="f32"):
    c = json.load(open(os.path.join(d, "case.json")))
    tmp = tempfile.mkdtemp()
    args = [wgtf, "run", os.path.join(d, c["model"]), "--precision", precision]
    for k, v in c["feeds"].items():
        args += ["-i", f"{k}={os.path.join(d, v)}"]
    outs = []
    for i, (k, v) in enumerate(c["fetches"].items()):
        p = os.path.join(tmp, f"o{i}.npy")
        outs.append((p, os.path.join(d, v)))
        args += ["-o", f"{k}={p}"]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode:
        return None, r.stderr.strip().splitlines()[-1][:200]
    ma = mr = 0.0
    top = [0, 0]
    for got, want in outs:
        g = np.load(got).astype(np.float64)
        w = np.load(want).astype(np.float64)
        if g.size == 0:
            continue
        if g.ndim >= 1 and g.shape[-1] >= 2:
            a, b = g.reshape(-1, g.shape[-1]), w.reshape(-1, w.shape[-1])
            top[0] += int(np.sum(np.argmax(a, -1) == np.argmax(b, -1)))
            top[1] += a.shape[0]
        d_ = np.abs(g - w)
        if not np.isfinite(g[np.isfinite(w)]).all():
            return None, "non-finite outputs where TensorFlow's are finite"
        ma = max(ma, float(d_.max()))
        big = np.abs(w) >= 1e-3 * np.max(np.abs(w))
        if big.any():
            mr = max(mr, float(np.max(d_[big] / np.abs(w)[big])))
    tf = max((e.get("maxabs", 0.0) for e in (c.get("fp32_error") or {}).values()), default=None)
    return (ma, mr, tf, c, top), None


def row_f32(i, m, wgtf):
    lic = f"{m.get('license', '?')} / {m.get('model_license', '?').split(' (')[0]}"
    src = f"{m.get('package', '?')}@{m.get('version', '?')} ({lic})"
    r, err = errors(os.path.join(CASES, i), wgtf)
    if r is None:
        return f"| {i} | {m.get('task', '')} | {src} | | FAIL: {err} | | |"
    ma, mr, tf, c, _ = r
    ins = ", ".join("x".join(str(d) for d in np.load(os.path.join(CASES, i, v)).shape) for v in c["feeds"].values())
    tfs = f"{tf:.1e}" if tf is not None else "-"
    return f"| {i} | {m.get('task', '')} | {src} | {ins} | {ma:.1e} | {mr:.1e} | {tfs} |"


def row_f16(i, m, wgtf):
    r32, err32 = errors(os.path.join(CASES, i), wgtf)
    r16, err16 = errors(os.path.join(CASES, i), wgtf, "f16")
    if r32 is None or r16 is None:
        return f"| {i} | {m.get('task', '')} | {f'{r32[1]:.1e}' if r32 else 'FAIL'} | {err32 or err16} | | |"
    top = r16[4]
    agree = f"{top[0]}/{top[1]}" if i in CLASSIFIERS else "-"
    return f"| {i} | {m.get('task', '')} | {r32[1]:.1e} | {r16[0]:.1e} | {r16[1]:.1e} | {agree} |"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wgtf", default=os.path.join(ROOT, "target", "release", "wgtf"))
    ap.add_argument("--only", default="")
    ap.add_argument("--f16", action="store_true")
    a = ap.parse_args()
    only = [x for x in a.only.split(",") if x]
    manifest = {m["id"]: m for m in json.load(open(os.path.join(HERE, "manifest.json")))["models"]}
    if a.f16:
        print("| model | task | f32 max rel | f16 max abs | f16 max rel | f16 top-1 agreement |")
        print("|---|---|---|---|---|---|")
    else:
        print("| model | task | package (license / model license) | input | max abs error | max rel error | TF fp32 vs fp64 (abs) |")
        print("|---|---|---|---|---|---|---|")
    row = row_f16 if a.f16 else row_f32
    for i in sorted(os.listdir(CASES)):
        if not only or i in only:
            print(row(i, manifest.get(i, {}), a.wgtf), flush=True)


if __name__ == "__main__":
    main()
