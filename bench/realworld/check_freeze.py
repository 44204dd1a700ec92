#!/usr/bin/env python3
"""`wgtf freeze model.json -o frozen.pb` on every model of the corpus, then TensorFlow 2.21 loads
each frozen GraphDef, runs it on the case's inputs and compares with the case's expected outputs
(the references make_cases.py computed). This checks that a TF.js model carried back to the
TensorFlow tool chain by wgtf is a graph TensorFlow runs, with the same results.

  .venv-tf/bin/python bench/realworld/check_freeze.py [--only ID,...] [--wgtf target/release/wgtf]

Prints one line per model and `N passed, M failed`; exit status 1 if anything failed.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow's oneDNN kernels drift far from float64 on some of these models (make_cases.py
# computed the references without them).
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CASES = os.path.join(HERE, "work", "cases", "json", "public")


def check(case_dir, wgtf, tmp):
    with open(os.path.join(case_dir, "case.json")) as f:
        case = json.load(f)
    out = os.path.join(tmp, os.path.basename(case_dir) + ".pb")
    outputs = ",".join(k.split(":")[0] for k in case["fetches"])
    p = subprocess.run([wgtf, "freeze", os.path.join(case_dir, case["model"]), "--outputs", outputs, "-o", out],
                       capture_output=True, text=True)
    if p.returncode:
        return False, "wgtf freeze: " + p.stderr.strip()[:300]
    gd = tf.compat.v1.GraphDef()
    with open(out, "rb") as f:
        gd.ParseFromString(f.read())
    ops = sorted({n.op for n in gd.node})
    g = tf.Graph()
    with g.as_default():
        try:
            tf.compat.v1.import_graph_def(gd, name="")
        except Exception as e:  # noqa: BLE001
            return False, f"TensorFlow cannot import it: {str(e).splitlines()[0][:300]}"
    feeds = {g.get_tensor_by_name(k if ":" in k else k + ":0"): np.load(os.path.join(case_dir, v))
             for k, v in case["feeds"].items()}
    names = [k if ":" in k else k + ":0" for k in case["fetches"]]
    try:
        with tf.compat.v1.Session(graph=g) as s:
            got = s.run(names, feeds)
    except Exception as e:  # noqa: BLE001
        return False, f"TensorFlow cannot run it: {str(e).splitlines()[0][:300]}"
    worst = 0.0
    for (k, v), o in zip(case["fetches"].items(), got):
        want = np.load(os.path.join(case_dir, v))
        tol = case.get("fetch_tolerances", {}).get(k, {"rtol": case["rtol"], "atol": case["atol"]})
        o = np.asarray(o)
        if o.shape != want.shape:
            return False, f"{k}: shape {o.shape}, want {want.shape}"
        if want.dtype.kind in "biu":
            if not np.array_equal(o, want):
                return False, f"{k}: integers differ"
            continue
        d = np.abs(o.astype(np.float64) - want.astype(np.float64))
        worst = max(worst, float(d.max()) if d.size else 0.0)
        if not np.all(d <= tol["atol"] + tol["rtol"] * np.abs(want)):
            return False, f"{k}: max abs error {d.max():.3g} over tolerance"
    fused = [o for o in ops if o in ("_FusedConv2D", "_FusedMatMul", "FusedDepthwiseConv2dNative", "Prelu")]
    if fused:
        return False, f"TF.js-only ops left: {fused}"
    return True, f"maxabs={worst:.3g} ({len(gd.node)} nodes)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    ap.add_argument("--wgtf", default=os.environ.get("WGTF", os.path.join(ROOT, "target", "release", "wgtf")))
    args = ap.parse_args()
    only = [x for x in args.only.split(",") if x]
    ids = sorted(d for d in os.listdir(CASES) if not only or d in only)
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in ids:
            ok, msg = check(os.path.join(CASES, i), args.wgtf, tmp)
            print(f"{'PASS' if ok else 'FAIL'} {i} {msg}", flush=True)
            passed += ok
            failed += not ok
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
