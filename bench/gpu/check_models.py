#!/usr/bin/env python3
"""Checks that the kit's networks, whose weights are generated in-graph (bench/gpu/models.py), run
in wgtf like the same networks with plain constants: the generated chains must fold at load, so
the runs have the same dispatches, compute passes, weight and activation bytes.

    python3 bench/gpu/check_models.py KIT REFDIR     (prepare.sh --check runs it)
"""
import json
import os
import subprocess
import sys

KEYS = ("dispatches_per_run", "passes_per_run", "submits_per_run", "weight_bytes", "activation_bytes", "peak_live_bytes", "readback_bytes_per_run")


def bench(wgtf, path):
    p = subprocess.run([wgtf, "bench", "--json", "--iters", "1", "--warmup", "0", path], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("%s: %s" % (path, p.stderr.strip()))
    return json.loads([l for l in p.stdout.splitlines() if l.startswith("{")][-1])


def main():
    kit, ref = sys.argv[1], sys.argv[2]
    wgtf = os.path.join(kit, "wgtf")
    man = json.load(open(os.path.join(kit, "models", "manifest.json")))
    bad = 0
    print("| model | %s | load ms (generated / constants) |" % " | ".join(KEYS))
    print("|---" * (len(KEYS) + 2) + "|")
    for e in man["models"]:
        if e["kind"] != "net" or not e.get("reference_pb"):
            continue
        g = bench(wgtf, os.path.join(kit, "models", e["file"]))
        c = bench(wgtf, os.path.join(ref, e["reference_pb"]))
        cells = []
        for k in KEYS:
            same = g[k] == c[k]
            bad += not same
            cells.append(str(g[k]) if same else "%s vs %s" % (g[k], c[k]))
        print("| %s | %s | %.0f / %.0f |" % (e["name"], " | ".join(cells), g["load_ms"], c["load_ms"]), flush=True)
    if bad:
        raise SystemExit("check_models: %d counters differ: the generated weights do not all fold at load" % bad)
    print("check_models: generated and constant weights give the same runs")


if __name__ == "__main__":
    main()
