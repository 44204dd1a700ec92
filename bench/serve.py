#!/usr/bin/env python3
"""Benchmarks `wgtf serve`: throughput and latency percentiles at concurrency 1, 8 and 32, with
dynamic batching off and on, for a small CNN (the bundled digits model) and MobileNetV2 (224x224,
unknown batch dim: target/bench-models/mobilenetv2_224_batch.pb from bench/make_models.py),
beside in-process `Model::run` (`wgtf bench`) in the same run.

Clients: Python threads, one keep-alive HTTP connection each, bodies encoded once beforehand
(KServe v2 JSON, flat FP32 data); at concurrency 1 also TensorFlow Serving's row format and,
for MobileNetV2, a b64 JPEG (decoded and resized on the server). The server runs on the same
machine as the clients.

Run: cargo build --release && python3 bench/serve.py [--quick] [--json out.json]
"""
import argparse
import base64
import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
WGTF = os.path.join(ROOT, "target", "release", "wgtf")


def percentile(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def in_process(model, iters):
    out = subprocess.run([WGTF, "bench", model, "--json", "--iters", str(iters), "--warmup", "5", "--batch", "1"], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout)
    return {"p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"], "throughput": 1000.0 / r["mean_ms"], "adapter": r["adapter"]}


class Server:
    def __init__(self, name, path, batching, timeout_us):
        args = [WGTF, "serve", "--port", "0", "--model", f"{name}={path}", "--max-queue", "1024"]
        if batching:
            args += ["--enable-batching", "--max-batch-size", "32", "--batch-timeout-micros", str(timeout_us)]
        self.p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "RUST_LOG": "error"})
        line = self.p.stdout.readline()
        m = re.search(r"http://([\d.]+):(\d+)", line)
        if not m:
            raise SystemExit(f"wgtf serve did not start: {line!r}")
        self.host, self.port = m.group(1), int(m.group(2))

    def metrics(self):
        """Sums over labels of every series: {name: value}."""
        c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
        out = {}
        for m in re.finditer(r"^(\w+)(?:\{[^}]*\})? ([0-9.e+-]+)$", text, re.M):
            out[m.group(1)] = out.get(m.group(1), 0.0) + float(m.group(2))
        return out

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=120)


def load(server, path, body, conc, n):
    """n requests from conc clients; returns latencies (s), wall time, failures."""
    lat, failures, lock = [], [0], threading.Lock()

    def client(k):
        c = http.client.HTTPConnection(server.host, server.port, timeout=300)
        mine = []
        for _ in range(k, n, conc):
            t0 = time.perf_counter()
            c.request("POST", path, body, {"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            mine.append(time.perf_counter() - t0)
            if r.status != 200:
                with lock:
                    failures[0] += 1
        c.close()
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(conc)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, time.perf_counter() - t0, failures[0]


def bodies(name, shape, jpeg=None):
    rnd = random.Random(0)
    n = 1
    for d in shape:
        n *= d
    data = [round(rnd.random(), 4) for _ in range(n)]
    kserve = json.dumps({"inputs": [{"name": "x" if name == "digits" else "input", "shape": shape, "datatype": "FP32", "data": data}]}).encode()

    def nest(v, s):
        if len(s) == 1:
            return v
        step = len(v) // s[0]
        return [nest(v[i * step:(i + 1) * step], s[1:]) for i in range(s[0])]

    tfs = json.dumps({"instances": nest(data, shape)}).encode()
    out = {"kserve": kserve, "tfserving rows": tfs}
    if jpeg:
        with open(jpeg, "rb") as f:
            out["b64 JPEG"] = json.dumps({"instances": [{"b64": base64.b64encode(f.read()).decode()}]}).encode()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer requests")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--batch-timeout-micros", type=int, default=0, help="batching on: the server's --batch-timeout-micros (its default: 0)")
    a = ap.parse_args()
    scale = 0.25 if a.quick else 1.0
    models = [
        ("digits", os.path.join(ROOT, "models", "digits", "model.pb"), [1, 8, 8, 1], None, 800),
        ("mobilenetv2", os.path.join(ROOT, "target", "bench-models", "mobilenetv2_224_batch.pb"), [1, 224, 224, 3], os.path.join(ROOT, "models", "samples", "flower.jpg"), 64),
    ]
    rows, results, parts = [], [], []
    for name, path, shape, jpeg, base_n in models:
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: .venv-tf/bin/python bench/make_models.py mobilenetv2_batch")
        ip = in_process(path, max(40, int(base_n * scale / 2)))
        results.append({"model": name, "mode": "in-process Model::run", **ip})
        rows.append(f"| {name} | in-process `Model::run` (before) | 1 | {ip['p50_ms']:.2f} | {ip['p99_ms']:.2f} | {ip['throughput']:.1f} | – | – |")
        b = bodies(name, shape, jpeg)
        for batching in (False, True):
            s = Server(name, path, batching, a.batch_timeout_micros)
            try:
                infer = f"/v2/models/{name}/infer"
                load(s, infer, b["kserve"], 1, 5)  # warm-up
                for conc in (1, 8, 32):
                    n = max(int(base_n * scale), 4 * conc) if conc > 1 else max(int(base_n * scale / 2), 10)
                    m0 = s.metrics()
                    lat, wall, fail = load(s, infer, b["kserve"], conc, n)
                    m1 = s.metrics()
                    d = lambda k: m1.get(k, 0.0) - m0.get(k, 0.0)
                    batch = d("wgtf_batch_size_sum") / max(d("wgtf_batch_size_count"), 1)
                    r = {"model": name, "mode": "serve", "batching": batching, "concurrency": conc, "requests": n, "p50_ms": percentile(lat, 50) * 1e3,
                         "p99_ms": percentile(lat, 99) * 1e3, "throughput": n / wall, "mean_batch": batch, "failures": fail}
                    results.append(r)
                    rows.append(f"| {name} | serve, batching {'on' if batching else 'off'} (KServe) | {conc} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['throughput']:.1f} | {batch:.2f} | {fail} |")
                    print(rows[-1], flush=True)
                    if conc == 1:
                        # Where the time of a request goes, from the server's own histograms of
                        # these very requests (immune to the machine's drift between runs).
                        gpu = d("wgtf_gpu_duration_seconds_sum") / max(d("wgtf_gpu_duration_seconds_count"), 1) * 1e3
                        server = d("wgtf_request_duration_seconds_sum") / max(d("wgtf_request_duration_seconds_count"), 1) * 1e3
                        client = sum(lat) / len(lat) * 1e3
                        parts.append({"model": name, "batching": batching, "client_mean_ms": client, "server_mean_ms": server, "run_mean_ms": gpu})
                if not batching:
                    for proto in [k for k in b if k != "kserve"]:
                        path_ = f"/v1/models/{name}:predict"
                        n = max(int(base_n * scale / 2), 10)
                        lat, wall, fail = load(s, path_, b[proto], 1, n)
                        r = {"model": name, "mode": "serve", "protocol": proto, "concurrency": 1, "p50_ms": percentile(lat, 50) * 1e3, "p99_ms": percentile(lat, 99) * 1e3, "throughput": n / wall, "failures": fail}
                        results.append(r)
                        rows.append(f"| {name} | serve, batching off ({proto}) | 1 | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['throughput']:.1f} | – | {fail} |")
                        print(rows[-1], flush=True)
                if not batching:
                    # The client's and HTTP's own round trip: a GET that does no work.
                    c = http.client.HTTPConnection(s.host, s.port, timeout=60)
                    lat = []
                    for _ in range(200):
                        t0 = time.perf_counter()
                        c.request("GET", "/v2/health/live")
                        c.getresponse().read()
                        lat.append(time.perf_counter() - t0)
                    c.close()
                    r = {"model": name, "mode": "GET /v2/health/live", "concurrency": 1, "p50_ms": percentile(lat, 50) * 1e3, "p99_ms": percentile(lat, 99) * 1e3}
                    results.append(r)
                    rows.append(f"| {name} | HTTP round trip alone (GET /v2/health/live) | 1 | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | – | – | – |")
            finally:
                s.stop()
        ip = in_process(path, max(40, int(base_n * scale / 2)))
        results.append({"model": name, "mode": "in-process Model::run (after)", **ip})
        rows.append(f"| {name} | in-process `Model::run` (after) | 1 | {ip['p50_ms']:.2f} | {ip['p99_ms']:.2f} | {ip['throughput']:.1f} | – | – |")
    print()
    print(f"adapter: {results[0]['adapter']}")
    print("| model | mode | concurrency | p50 ms | p99 ms | requests/s | mean batch | failed |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(r)
    print()
    print("Concurrency 1, KServe, means of the same requests: the client's round trip, the server's time (decode, queue, batch, run, encode), and Model::run inside it.")
    print("| model | batching | client round trip ms | server ms | Model::run ms | server minus run | round trip minus run (share of the round trip) |")
    print("|---|---|---|---|---|---|---|")
    for p in parts:
        over = p["client_mean_ms"] - p["run_mean_ms"]
        print(f"| {p['model']} | {'on' if p['batching'] else 'off'} | {p['client_mean_ms']:.3f} | {p['server_mean_ms']:.3f} | {p['run_mean_ms']:.3f} | {p['server_mean_ms'] - p['run_mean_ms']:.3f} | {over:.3f} ({100 * over / p['client_mean_ms']:.0f}%) |")
    results.append({"breakdown": parts})
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
