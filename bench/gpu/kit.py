#!/usr/bin/env python3
"""The real-GPU benchmark kit's runner (bench/gpu/run.sh calls it; see bench/gpu/README.md).

Python 3 standard library and numpy only. Runs, from the repository root, with the kit folder
made by bench/gpu/prepare.sh (the wgtf binary, the models, manifest.json):

1. the fixture conformance suite (tests/fixtures/cases, the cases tests/conformance.rs runs) through
   the wgtf binary with each GEMM kernel (WGTF_GEMM=tiled, subgroup, large), compared here with
   numpy like tests/common/mod.rs compares them (pending cases must fail); first `wgtf devices`
   with a fresh cache directory records the kernel wgtf's autotune picks and each one's score;
2. `wgtf bench --json --profile` on MobileNetV2, ResNet50 and EfficientNetB0 (batch 1 and 8; the
   networks with depthwise convolutions also with each depthwise form, WGTF_DEPTHWISE) and
   on the matmul probes (N^3 for N up to 4096), whose one-value results are also checked;
3. the same in PyTorch (torchvision, fp32, TF32 off, cudnn.benchmark) and torch.matmul (cuBLAS
   SGEMM) through bench/gpu/torch_bench.py, when torch with CUDA is installed; else skipped;

and writes gpu_bench.md (the tables) and gpu_bench.json (every figure) to --out, after each step.
"""
import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FAMILIES = ("tiled", "subgroup", "large")


def kernels(row):
    """A network row's kernels: `subgroup (cols1)`, the depthwise form where it has one."""
    dw = row.get("depthwise") or (row.get("report") or {}).get("depthwise")
    return "%s (%s)" % (row["gemm"], dw) if dw else row["gemm"]
# The depthwise forms (WGTF_DEPTHWISE; src/kernel/depthwise.rs) and the networks that have
# depthwise convolutions: those run with each form forced (--quick: MobileNetV2 only).
DEPTHWISE_FORMS = ("cols4", "cols1")
DEPTHWISE_NETS = ("MobileNetV2", "EfficientNetB0")
T0 = time.time()

# FP32 (non-tensor) peak of some cards, TFLOP/s, from NVIDIA's data sheets (boost clock).
FP32_PEAK = [
    ("H200", 67.0), ("H100 80GB HBM3", 67.0), ("H100 SXM", 67.0), ("H100 NVL", 60.0), ("H100 PCIe", 51.2),
    ("A100", 19.5), ("L40S", 91.6), ("L4", 30.3), ("A10G", 31.2), ("A10", 31.2), ("T4", 8.1),
    ("RTX 4090", 82.6), ("RTX 3090", 35.6),
]


def log(*a):
    print("[%6.1fs]" % (time.time() - T0), *a, flush=True)


def gf(x):
    """GFLOP/s for tables: one decimal below 100 (CPU adapters), none above."""
    if x is None:
        return "-"
    return "%.1f" % x if x < 100 else "%.0f" % x


def elapsed():
    return time.time() - T0


class Kit:
    def __init__(self, args):
        self.args = args
        self.kit = os.path.abspath(args.kit)
        self.wgtf = os.path.join(self.kit, "wgtf")
        self.models = os.path.join(self.kit, "models")
        with open(os.path.join(self.models, "manifest.json")) as f:
            self.manifest = json.load(f)
        self.out = os.path.abspath(args.out)
        os.makedirs(self.out, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="wgtf-kit-")
        self.env = dict(os.environ)
        # A cache of the GEMM autotune of this run only (`wgtf devices` tunes; steps force a kernel).
        self.env["WGTF_CACHE_DIR"] = os.path.join(self.tmp, "cache")
        self.env.pop("WGTF_GEMM", None)
        self.env.pop("WGTF_DEPTHWISE", None)
        self.results = {"started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), "quick": args.quick,
                        "host": platform.node(), "kit": {}, "adapter": {}, "conformance": {}, "nets": [], "matmul": [],
                        "torch": {"status": "not run"}, "notes": []}
        info = os.path.join(self.kit, "VERSIONS.json")
        if os.path.exists(info):
            with open(info) as f:
                self.results["kit"] = json.load(f)

    # ---- helpers ----
    def timeout(self, want):
        """A subprocess's timeout: `want`, cut so that nothing runs past budget + --grace."""
        return max(10, min(want, self.args.budget + self.args.grace - elapsed()))

    def wgtf_cmd(self, argv, env=None, timeout=300):
        timeout = self.timeout(timeout)
        e = dict(self.env)
        e.update(env or {})
        try:
            p = subprocess.run([self.wgtf] + argv, env=e, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
            return p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as ex:
            out = ex.stdout or ""
            if isinstance(out, bytes):  # TimeoutExpired keeps bytes even with text=True
                out = out.decode("utf-8", "replace")
            return 124, out, "timed out after %.0fs" % timeout

    def over_budget(self, what):
        if elapsed() > self.args.budget:
            msg = "%s skipped: the time budget (%ss) is spent" % (what, self.args.budget)
            log(msg)
            self.results["notes"].append(msg)
            return True
        return False

    def save(self):
        self.results["elapsed_s"] = round(elapsed(), 1)
        with open(os.path.join(self.out, "gpu_bench.json"), "w") as f:
            json.dump(self.results, f, indent=1)
        with open(os.path.join(self.out, "gpu_bench.md"), "w") as f:
            f.write(self.markdown())

    # ---- adapter ----
    def adapter(self):
        rc, out, err = self.wgtf_cmd(["--version"])
        self.results["adapter"]["wgtf_version"] = out.strip()
        # WGTF_GEMM=tune: the autotune on CPU adapters too (as `auto` on GPUs), fresh cache.
        rc, out, err = self.wgtf_cmd(["devices"], {"WGTF_GEMM": "tune"}, timeout=120)
        print(out + err, end="", flush=True)
        adapters = []
        for m in re.finditer(r"^\[(\d+)\] (.*) \((\w+), (\w+)\) driver: (.*)\n\s+(.*features: (.*))?$", out, re.M):
            adapters.append({"index": int(m.group(1)), "name": m.group(2), "backend": m.group(3), "type": m.group(4),
                             "driver": m.group(5), "limits": (m.group(6) or "").strip(),
                             "features": [s.strip() for s in (m.group(7) or "").split(",") if s.strip()]})
        self.results["adapter"]["all"] = adapters
        if not adapters:
            raise SystemExit("kit: wgtf lists no adapter (%s). Is the Vulkan loader unpacked and the driver's ICD found? See bench/gpu/README.md" % (err.strip() or out.strip()))
        chosen = None
        if os.environ.get("WGTF_ADAPTER"):
            chosen = next((a for a in adapters if a["index"] == int(os.environ["WGTF_ADAPTER"])), None)
        if chosen is None:
            gpus = [a for a in adapters if a["type"] != "Cpu"]
            order = {"DiscreteGpu": 0, "IntegratedGpu": 1, "VirtualGpu": 2, "Other": 3}
            # Vulkan first: with the carried libglvnd, wgpu may also list the card through GL/EGL.
            gpus.sort(key=lambda a: (order.get(a["type"], 9), a["backend"] != "Vulkan", a["index"]))
            chosen = gpus[0] if gpus else None
        if chosen is None:
            if not (self.args.quick or self.args.allow_cpu):
                raise SystemExit("kit: only CPU adapters (%s): the GPU's Vulkan driver was not found. "
                                 "Use --quick or --allow-cpu to measure a CPU adapter anyway." % ", ".join(a["name"] for a in adapters))
            chosen = adapters[0]
        self.env["WGTF_ADAPTER"] = str(chosen["index"])
        self.results["adapter"].update(chosen=chosen)
        self.cpu_adapter = chosen["type"] == "Cpu"
        # The kernel wgtf's autotune picks (src/runtime/tune.rs), which `wgtf devices` printed
        # ("    gemm: large (autotune: tiled 2.41, subgroup 3.10, large 2.00; 380 ms)"); without
        # it, the rule's. Networks run with it first, the others last.
        self.default_family = "subgroup" if self.cpu_adapter and "subgroups" in chosen["features"] else "tiled"
        block = re.search(r"^\[%d\] .*\n(?:\s+.*\n)*?\s+gemm: (\w+) \((\w+)(?:: (.*?); (\d+) ms)?\)" % chosen["index"], out, re.M)
        if block:
            g = {"choice": block.group(1), "source": block.group(2), "scores": {}, "tune_ms": int(block.group(4) or 0)}
            for sc in (block.group(3) or "").split(","):
                if sc.strip():
                    name, val = sc.split()
                    g["scores"][name] = float(val)
            self.results["adapter"]["gemm"] = g
            if g["choice"] in FAMILIES:
                self.default_family = g["choice"]
            log("GEMM kernel: %s (%s)%s" % (g["choice"], g["source"], "; autotune scores (time relative to the fastest, summed over its 2 shapes): %s in %d ms" % (g["scores"], g["tune_ms"]) if g["scores"] else ""))
        # The depthwise form the same autotune picked ("    depthwise: cols1 (autotune: cols4 1.40, cols1 2.00; 380 ms)").
        block = re.search(r"^\[%d\] .*\n(?:\s+.*\n)*?\s+depthwise: (\w+) \((\w+)(?:: (.*?); \d+ ms)?\)" % chosen["index"], out, re.M)
        if block:
            d = {"choice": block.group(1), "source": block.group(2), "scores": {}}
            for sc in (block.group(3) or "").split(","):
                if sc.strip():
                    name, val = sc.split()
                    d["scores"][name] = float(val)
            self.results["adapter"]["depthwise"] = d
            log("depthwise form: %s (%s)%s" % (d["choice"], d["source"], "; autotune scores: %s" % d["scores"] if d["scores"] else ""))
        if self.cpu_adapter and not self.args.quick:
            self.results["notes"].append("measured on a CPU adapter without --quick")
        log("adapter [%d] %s (%s, %s), driver %s" % (chosen["index"], chosen["name"], chosen["backend"], chosen["type"], chosen["driver"]))
        if "subgroups" not in chosen["features"]:
            self.results["notes"].append("the adapter has no subgroups: WGTF_GEMM=subgroup runs the tiled GEMM too")
        if shutil.which("nvidia-smi"):
            try:
                q = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm,power.limit",
                                    "--format=csv,noheader"], capture_output=True, text=True, timeout=30).stdout.strip()
                self.results["adapter"]["nvidia_smi"] = q
                log("nvidia-smi:", q)
            except Exception as e:  # noqa: BLE001 (informational only)
                self.results["adapter"]["nvidia_smi"] = "failed: %s" % e
        self.save()

    # ---- conformance ----
    def load_cases(self):
        cases_dir = os.path.join(ROOT, "tests", "fixtures", "cases")
        pending = set()
        pf = os.path.join(ROOT, "tests", "fixtures", "pending.txt")
        if os.path.exists(pf):
            for line in open(pf):
                line = line.split("#")[0].strip()
                if line:
                    pending.add(line)
        cases = []
        for d in sorted(os.listdir(cases_dir)):
            p = os.path.join(cases_dir, d, "case.json")
            if not os.path.exists(p):
                continue
            with open(p) as f:
                j = json.load(f)
            rtol, atol = float(j.get("rtol", 1e-5)), float(j.get("atol", 1e-6))
            tols = j.get("fetch_tolerances") or {}
            fetches = []
            for k, v in (j.get("fetches") or {}).items():
                t = tols.get(k) or {}
                fetches.append((k, v, float(t.get("rtol", rtol)), float(t.get("atol", atol))))
            cases.append({"name": j.get("name", d), "dir": os.path.join(cases_dir, d), "model": j.get("model", "model.pb"),
                          "feeds": list((j.get("feeds") or {}).items()), "fetches": fetches})
        return cases, pending

    @staticmethod
    def compare(got, want, rtol, atol):
        """tests/common/mod.rs `compare`: same shape and dtype kind; floats within
        |d| <= atol or |d| <= rtol*max(|a|,|b|) or |d| <= atol + rtol*|want| (NaN matches NaN);
        integers and bools exactly."""
        if got.shape != want.shape:
            return "shape %s, want %s" % (list(got.shape), list(want.shape))
        kind = lambda a: "f" if a.dtype.kind == "f" else ("b" if a.dtype.kind == "b" else "i")  # noqa: E731
        if kind(got) != kind(want):
            return "dtype %s, want %s" % (got.dtype, want.dtype)
        g, w = got.astype(np.float64).ravel(), want.astype(np.float64).ravel()
        if kind(want) != "f":
            bad = np.nonzero(g != w)[0]
        else:
            both_nan = np.isnan(g) & np.isnan(w)
            d = np.abs(g - w)
            ok = (d <= atol) | (d <= rtol * np.maximum(np.abs(g), np.abs(w))) | (d <= atol + rtol * np.abs(w))
            ok &= np.isnan(g) == np.isnan(w)
            ok |= both_nan
            bad = np.nonzero(~ok)[0]
        if len(bad):
            i = int(bad[0])
            return "element %d: got %s, want %s (rtol %g, atol %g; %d elements off)" % (i, g[i], w[i], rtol, atol, len(bad))
        return None

    def case_args(self, c, outdir):
        a = ["-m", os.path.join(c["dir"], c["model"])]
        for k, v in c["feeds"]:
            a += ["-i", "%s=%s" % (k, os.path.join(c["dir"], v))]
        for k, v, _, _ in c["fetches"]:
            a += ["-o", "%s=%s" % (k, os.path.join(outdir, c["name"], v))]
        return a

    def check_case(self, c, outdir):
        errs = []
        maxabs = 0.0
        for k, v, rtol, atol in c["fetches"]:
            p = os.path.join(outdir, c["name"], v)
            if not os.path.exists(p):
                return "%s: no output" % k, 0.0
            got, want = np.load(p), np.load(os.path.join(c["dir"], v))
            e = self.compare(got, want, rtol, atol)
            if e:
                errs.append("%s: %s" % (k, e))
            elif got.size and want.dtype.kind == "f":
                d = np.abs(got.astype(np.float64) - want.astype(np.float64))
                d = d[~np.isnan(d)]
                maxabs = max(maxabs, float(d.max()) if d.size else 0.0)
        return ("; ".join(errs) or None), maxabs

    def conformance(self):
        cases, pending = self.load_cases()
        log("conformance: %d fixture cases (%d pending) with each GEMM family" % (len(cases), len(pending)))
        for fam in FAMILIES:
            if self.over_budget("conformance with WGTF_GEMM=%s" % fam):
                continue
            t = time.time()
            outdir = os.path.join(self.tmp, "conf-" + fam)
            for c in cases:
                os.makedirs(os.path.join(outdir, c["name"]), exist_ok=True)
            env = {"WGTF_GEMM": fam}
            errors = {}
            # Groups of cases in one process (`wgtf run -m A … -m B …`): one device, shared
            # pipelines. A group that fails reruns case by case, to name the failing ones.
            chunk = self.args.conformance_chunk
            for i in range(0, len(cases), chunk):
                group = cases[i:i + chunk]
                argv = ["run"]
                for c in group:
                    argv += self.case_args(c, outdir)
                rc, out, err = self.wgtf_cmd(argv, env, timeout=240)
                if rc != 0:
                    for c in group:
                        if elapsed() > self.args.budget + self.args.grace - 20:
                            errors[c["name"]] = "not run: time budget spent"
                            continue
                        rc1, out1, err1 = self.wgtf_cmd(["run"] + self.case_args(c, outdir), env, timeout=120)
                        if rc1 != 0:
                            errors[c["name"]] = (err1.strip().splitlines() or ["exit %d" % rc1])[-1]
            passed, failed, pend = [], [], []
            worst = (0.0, "")
            for c in cases:
                e = errors.get(c["name"])
                if e is None:
                    e, maxabs = self.check_case(c, outdir)
                    if e is None and maxabs > worst[0]:
                        worst = (maxabs, c["name"])
                if c["name"] in pending:
                    (pend if e else failed).append(c["name"] if e else "%s: passes now; remove it from tests/fixtures/pending.txt" % c["name"])
                elif e:
                    failed.append("%s: %s" % (c["name"], e))
                else:
                    passed.append(c["name"])
            r = {"cases": len(cases), "passed": len(passed), "failed": failed, "pending": pend,
                 "max_abs_error": worst[0], "max_abs_error_case": worst[1], "seconds": round(time.time() - t, 1)}
            self.results["conformance"][fam] = r
            log("conformance WGTF_GEMM=%s: %d passed, %d failed, %d pending (%.1fs)" % (fam, len(passed), len(failed), len(pend), r["seconds"]))
            for f in failed:
                log("  FAIL", f)
            self.save()

    # ---- wgtf bench ----
    def bench(self, entry, fam, batch, iters, warmup, extra=(), dw=None):
        env = {"WGTF_GEMM": fam}
        if dw:
            env["WGTF_DEPTHWISE"] = dw
        argv = ["bench", "--json", "--profile", "--iters", str(iters), "--warmup", str(warmup)]
        if batch != 1:
            argv += ["--batch", str(batch)]
        argv += list(extra) + [os.path.join(self.models, entry["file"])]
        t = time.time()
        rc, out, err = self.wgtf_cmd(argv, env, timeout=self.args.step_timeout)
        wall = time.time() - t
        rep = None
        for line in out.splitlines()[::-1]:
            if line.startswith("{"):
                rep = json.loads(line)
                break
        if (rc != 0 or rep is None) and "--profile" in argv and rc != 124:
            # Timestamp queries may be missing or broken on an adapter: the figures without them.
            first = (err.strip().splitlines() or ["exit %d" % rc])[-1]
            argv.remove("--profile")
            rc, out, err = self.wgtf_cmd(argv, env, timeout=self.args.step_timeout)
            wall = time.time() - t
            rep = next((json.loads(l) for l in out.splitlines()[::-1] if l.startswith("{")), None)
            if rep is not None:
                rep["profile_error"] = first
        if rc != 0 or rep is None:
            msg = (err.strip().splitlines() or ["exit %d" % rc])[-1]
            return {"error": msg, "wall_s": round(wall, 1)}
        kernels = sum(p["gpu_ms"] for p in rep.get("profile", []))
        rep["kernel_ms"] = kernels
        rep["wall_s"] = round(wall, 1)
        rep["gemm_kernels"] = sorted({k["kernel"].split("[")[0] for k in rep.get("slowest_kernels", []) if "gemm" in k["kernel"] or "matmul" in k["kernel"]})
        return rep

    def nets(self, fams, precision="f32", dws=(None,), only=None):
        """Each network (`only`: these) with each GEMM family and depthwise form (None: wgtf's)."""
        it, wu = (self.args.iters_quick, 1) if self.args.quick else (self.args.iters, self.args.warmup)
        extra = ["--precision", precision] if precision != "f32" else []
        for fam in fams:
            for dw in dws:
                for e in self.manifest["models"]:
                    if e["kind"] != "net" or (self.args.only_nets and e["net"] not in self.args.only_nets) or (only and e["net"] not in only):
                        continue
                    if self.over_budget("wgtf bench %s (%s%s)" % (e["name"], fam, ", " + dw if dw else "")):
                        continue
                    batch = e["batch"]
                    rep = self.bench(e, fam, batch, it, wu, extra, dw)
                    row = {"net": e["net"], "batch": batch, "gemm": fam, "depthwise": rep.get("depthwise", dw), "precision": precision, "model": e["file"], "report": rep}
                    self.results["nets"].append(row)
                    forced = " WGTF_DEPTHWISE=%s" % dw if dw else ""
                    if "error" in rep:
                        log("wgtf %s batch %d %s%s: ERROR %s" % (e["net"], batch, fam, forced, rep["error"]))
                    else:
                        log("wgtf %s batch %d WGTF_GEMM=%s%s %s: p50 %.2f ms, min %.2f ms, kernels %.2f ms, %d dispatches, load %.0f ms (%.0fs)"
                            % (e["net"], batch, fam, forced, precision, rep["p50_ms"], rep["min_ms"], rep["kernel_ms"], rep["dispatches_per_run"], rep["load_ms"], rep["wall_s"]))
                    self.save()

    def probe_sizes(self):
        sizes = [e["n"] for e in self.manifest["models"] if e["kind"] == "matmul"]
        if self.args.quick:
            sizes = [n for n in sizes if n <= self.args.quick_max_n]
        else:
            sizes = [n for n in sizes if n >= 1024]
        return sizes

    def matmul(self):
        sizes = self.probe_sizes()
        probes = [e for e in self.manifest["models"] if e["kind"] == "matmul" and e["n"] in sizes]
        it, wu = (self.args.iters_quick, 1) if self.args.quick else (self.args.matmul_iters, 3)
        for fam in FAMILIES:
            if self.over_budget("matmul probes (%s)" % fam):
                continue
            # The check: one process runs every probe once with x = 1 and reads back the sums.
            argv = ["run"]
            outs = {}
            for e in probes:
                outs[e["n"]] = os.path.join(self.tmp, "probe-%s-%d.npy" % (fam, e["n"]))
                argv += ["-m", os.path.join(self.models, e["file"]), "-i", "x:0=" + os.path.join(self.models, "x_one.npy"), "-o", "y:0=" + outs[e["n"]]]
            rc, out, err = self.wgtf_cmd(argv, {"WGTF_GEMM": fam}, timeout=self.args.step_timeout)
            for e in probes:
                if self.over_budget("matmul %d (%s)" % (e["n"], fam)):
                    continue
                check = "not run"
                if os.path.exists(outs[e["n"]]):
                    got = float(np.load(outs[e["n"]]))
                    rel = abs(got - e["expected"]) / abs(e["expected"])
                    check = "ok (%.1e)" % rel if rel <= e["rtol"] else "WRONG: %.7g, want %.7g (relative error %.1e)" % (got, e["expected"], rel)
                elif rc != 0:
                    check = "ERROR: " + (err.strip().splitlines() or ["exit %d" % rc])[-1]
                rep = self.bench(e, fam, 1, it, wu)
                row = {"n": e["n"], "gemm": fam, "check": check, "report": rep, "flops": e["flops"]}
                if "error" not in rep:
                    mm = sum(p["gpu_ms"] for p in rep["profile"] if "MatMul" in p["op"])
                    row["matmul_kernel_ms"] = mm
                    row["gflops_kernel"] = e["flops"] / (mm * 1e6) if mm > 0 else None
                    row["gflops_e2e"] = e["flops"] / (rep["p50_ms"] * 1e6)
                    row["kernel"] = ", ".join(rep["gemm_kernels"])
                    log("wgtf matmul %d WGTF_GEMM=%s: kernel %.3f ms = %s GFLOP/s, e2e p50 %.3f ms = %s GFLOP/s, check %s [%s]"
                        % (e["n"], fam, mm, gf(row["gflops_kernel"]), rep["p50_ms"], gf(row["gflops_e2e"]), check, row["kernel"]))
                else:
                    log("wgtf matmul %d WGTF_GEMM=%s: ERROR %s (check %s)" % (e["n"], fam, rep["error"], check))
                self.results["matmul"].append(row)
                self.save()

    # ---- PyTorch ----
    def torch(self):
        if self.args.skip_torch:
            self.results["torch"] = {"status": "skipped (--skip-torch)"}
            self.save()
            return
        if self.over_budget("PyTorch"):
            self.results["torch"] = {"status": "skipped: time budget spent"}
            return
        py = self.args.torch_python or sys.executable
        probe = subprocess.run([py, "-c", "import torch, torchvision; print(torch.__version__, torchvision.__version__, torch.cuda.is_available())"],
                               capture_output=True, text=True, timeout=120)
        cpu_smoke = self.args.torch_device == "cpu"
        if probe.returncode != 0 or not (cpu_smoke or probe.stdout.strip().endswith("True")):
            why = "torch/torchvision not installed" if probe.returncode != 0 else "torch %s has no CUDA device" % probe.stdout.strip()
            msg = "PyTorch part skipped: %s (%s)" % (why, py)
            log(msg)
            self.results["torch"] = {"status": "skipped: %s" % why}
            self.save()
            return
        sizes = self.probe_sizes()
        out = os.path.join(self.tmp, "torch.json")
        argv = [py, os.path.join(ROOT, "bench", "gpu", "torch_bench.py"), "--out", out, "--iters", str(self.args.iters),
                "--warmup", str(self.args.warmup), "--sizes", ",".join(map(str, sizes)), "--matmul-iters", str(self.args.matmul_iters)]
        if self.args.only_nets:
            argv += ["--nets", ",".join(self.args.only_nets)]
        if cpu_smoke:
            argv += ["--device", "cpu"]
        log("PyTorch:", " ".join(argv[1:]))
        try:
            subprocess.run(argv, timeout=self.timeout(self.args.step_timeout * 2), env=dict(os.environ, PYTHONUNBUFFERED="1"))
        except subprocess.TimeoutExpired:
            self.results["notes"].append("PyTorch part timed out")
        if os.path.exists(out):
            with open(out) as f:
                self.results["torch"] = json.load(f)
        else:
            self.results["torch"] = {"status": "failed: no results (see the log)"}
        self.save()

    # ---- report ----
    def peak(self):
        name = self.results["adapter"].get("nvidia_smi", "") or self.results["adapter"].get("chosen", {}).get("name", "")
        for k, v in FP32_PEAK:
            if k in name:
                return k, v
        return None, None

    def markdown(self):
        r = self.results
        a = r["adapter"].get("chosen", {})
        L = ["# wgtf real-GPU kit: %s" % (a.get("name", "?")), ""]
        L.append("- adapter: [%s] %s (%s, %s), driver %s" % (a.get("index"), a.get("name"), a.get("backend"), a.get("type"), a.get("driver")))
        if r["adapter"].get("nvidia_smi"):
            L.append("- nvidia-smi: %s" % r["adapter"]["nvidia_smi"])
        k = r.get("kit", {})
        L.append("- %s (%s, sha256 %s…); kit made %s UTC at commit %s, models with TensorFlow %s" % (
            r["adapter"].get("wgtf_version", "wgtf ?"), k.get("wgtf_binary", "?"), k.get("wgtf_sha256", "?")[:12], k.get("made_utc", "?"),
            k.get("kit_commit", "?")[:10], k.get("tensorflow", "?")))
        t = r.get("torch", {})
        L.append("- PyTorch: %s" % (("torch %s, torchvision %s, CUDA %s, cuDNN %s, %s" % (t.get("torch"), t.get("torchvision"), t.get("cuda"), t.get("cudnn"), t.get("device")))
                                     if t.get("status") == "ok" else t.get("status")))
        g = r["adapter"].get("gemm")
        if g:
            L.append("- GEMM kernel wgtf picks: %s (%s)%s" % (g["choice"], g["source"], "; autotune scores (time relative to the fastest, summed over a matmul and a 3×3 conv: 1024³ and 56×56×64→64 on GPUs, 256³ and 28×28×32→64 on CPU adapters; lower is faster): %s, %d ms" % (
                ", ".join("%s %.2f" % kv for kv in g["scores"].items()), g["tune_ms"]) if g["scores"] else ""))
        L.append("- %s UTC, %s mode, %.0f s%s" % (r["started_utc"], "quick" if r["quick"] else "full", r.get("elapsed_s", 0),
                                                  "" if not r["notes"] else "; notes: " + "; ".join(r["notes"])))
        L += ["", "## Conformance (tests/fixtures/cases through `wgtf run`)", "",
              "| GEMM family | cases | passed | failed | pending | largest abs. error (case) | s |", "|---|---|---|---|---|---|---|"]
        if not r["conformance"]:
            L.append("| not run | | | | | | |")
        for fam, c in r["conformance"].items():
            L.append("| %s | %d | %d | %d | %d | %.2e (%s) | %.0f |" % (fam, c["cases"], c["passed"], len(c["failed"]), len(c["pending"]), c["max_abs_error"], c["max_abs_error_case"], c["seconds"]))
        for fam, c in r["conformance"].items():
            for f in c["failed"]:
                L.append("- FAIL (%s) %s" % (fam, f))
        tn = {(n["net"], n["batch"]): n for n in (t.get("nets") or [])}
        L += ["", "## Networks (224x224; wgtf f32 and f16 (`--precision f16`), PyTorch float32; ms per run, random weights)", "",
              "wgtf: `wgtf bench` end to end (upload, run, readback); kernels = the sum of GPU kernel times (`--profile`). "
              "PyTorch: torchvision, eval, `inference_mode`, cudnn.benchmark, TF32 off; end to end = host tensor `.cuda()`, forward, `.cpu()`; GPU = CUDA events around the forward on a resident input."
              + (" On a CPU adapter the kernel sum (one profiled run, timestamps around each dispatch) can exceed the p50." if getattr(self, "cpu_adapter", r["adapter"].get("chosen", {}).get("type") == "Cpu") else ""), "",
              "| network | batch | wgtf GEMM (depthwise form), precision | wgtf p50 | wgtf min | wgtf kernels | p50 − kernels | dispatches | wgtf img/s | PyTorch p50 | PyTorch GPU | wgtf p50 / PyTorch p50 |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for n in r["nets"]:
            rep = n["report"]
            tr = tn.get((n["net"], n["batch"]), {})
            tp = "%.2f" % tr["e2e_p50_ms"] if tr.get("e2e_p50_ms") else "-"
            tg = "%.2f" % tr["gpu_p50_ms"] if tr.get("gpu_p50_ms") else "-"
            if "error" in rep:
                L.append("| %s | %d | %s %s | error: %s | | | | | | %s | %s | |" % (n["net"], n["batch"], kernels(n), n.get("precision", "f32"), rep["error"][:80], tp, tg))
                continue
            ratio = "%.2fx" % (rep["p50_ms"] / tr["e2e_p50_ms"]) if tr.get("e2e_p50_ms") else "-"
            L.append("| %s | %d | %s %s | %.2f | %.2f | %.2f | %.2f | %d | %.1f | %s | %s | %s |" % (
                n["net"], n["batch"], kernels(n), n.get("precision", "f32"), rep["p50_ms"], rep["min_ms"], rep["kernel_ms"], rep["p50_ms"] - rep["kernel_ms"], rep["dispatches_per_run"],
                rep["throughput_per_s"], tp, tg, ratio))
        pk_name, pk = self.peak()
        tm = {m["n"]: m for m in (t.get("matmul") or [])}
        L += ["", "## Matmul probes (Sum(MatMul(A*x, B)), A and B NxN float32 resident on the GPU, one value read back)", "",
              "GFLOP/s = 2N^3 / time. wgtf kernel = the MatMul kernel's GPU time (`--profile`); e2e = `wgtf bench` p50 (feed x, Mul, MatMul, Sum, readback). "
              "cuBLAS = torch.mm fp32, TF32 off (CUDA events); its e2e = `(a*x).mm(b).sum().item()`." + (" FP32 peak of the %s: %.1f TFLOP/s (data sheet)." % (pk_name, pk) if pk else ""), "",
              "| N | wgtf GEMM | kernel | check | wgtf kernel ms | GFLOP/s | wgtf e2e ms | GFLOP/s | cuBLAS ms | GFLOP/s | cuBLAS e2e ms | wgtf/cuBLAS (kernel) |%s" % (" % of peak |" if pk else ""),
              "|---|---|---|---|---|---|---|---|---|---|---|---|%s" % ("---|" if pk else "")]
        for m in r["matmul"]:
            rep = m["report"]
            c = tm.get(m["n"], {})
            cb = ("%.3f | %s | %.3f" % (c["ms"], gf(c["gflops"]), c["e2e_ms"])) if c.get("ms") else "- | - | -"
            if "error" in rep:
                L.append("| %d | %s | | %s | error: %s | | | | %s | |%s" % (m["n"], m["gemm"], m["check"], rep["error"][:80], cb, " |" if pk else ""))
                continue
            ratio = "%.2f" % (m["gflops_kernel"] / c["gflops"]) if c.get("gflops") and m.get("gflops_kernel") else "-"
            L.append("| %d | %s | %s | %s | %s | %s | %.3f | %s | %s | %s |%s" % (
                m["n"], m["gemm"], m.get("kernel", ""), m["check"], "%.3f" % m["matmul_kernel_ms"] if m["matmul_kernel_ms"] else "-", gf(m["gflops_kernel"]), rep["p50_ms"], gf(m["gflops_e2e"]), cb, ratio,
                (" %.1f%% |" % (100 * (m["gflops_kernel"] or 0) / (pk * 1e3))) if pk else ""))
        L.append("")
        return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kit", default=os.path.join(ROOT, "bench", "gpu", "kit"))
    ap.add_argument("--out", default=os.environ.get("OUT") or os.path.join(ROOT, "bench", "gpu", "out"))
    ap.add_argument("--quick", action="store_true", default=os.environ.get("WGTF_KIT_QUICK") == "1",
                    help="for CPU adapters (lavapipe): probes up to --quick-max-n, --iters-quick iterations (also WGTF_KIT_QUICK=1)")
    ap.add_argument("--allow-cpu", action="store_true", help="measure a CPU adapter when no GPU adapter is found")
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--matmul-iters", type=int, default=10)
    ap.add_argument("--iters-quick", type=int, default=3)
    ap.add_argument("--quick-max-n", type=int, default=1024)
    ap.add_argument("--conformance-chunk", type=int, default=25)
    ap.add_argument("--step-timeout", type=int, default=None, help="seconds one wgtf process may take (150; 600 with --quick)")
    ap.add_argument("--budget", type=float, default=float(os.environ.get("WGTF_KIT_BUDGET", 0)) or None,
                    help="seconds after which the remaining steps are skipped (also WGTF_KIT_BUDGET; 360, 3600 with --quick)")
    ap.add_argument("--grace", type=float, default=140,
                    help="seconds past --budget after which running processes are stopped (default budget + 140 = 500 s)")
    ap.add_argument("--skip-conformance", action="store_true")
    ap.add_argument("--skip-torch", action="store_true")
    ap.add_argument("--skip-nets", action="store_true")
    ap.add_argument("--skip-matmul", action="store_true")
    ap.add_argument("--nets", default="", help="only these networks (comma-separated: MobileNetV2,ResNet50,EfficientNetB0)")
    ap.add_argument("--torch-device", default="cuda", choices=["cuda", "cpu"],
                    help="cpu: a smoke test of bench/gpu/torch_bench.py where torch has no CUDA (its figures mean nothing)")
    ap.add_argument("--torch-python", default=os.environ.get("TORCH_PYTHON"), help="the interpreter holding torch (default: this one)")
    args = ap.parse_args()
    args.only_nets = [s for s in args.nets.split(",") if s]
    if args.budget is None:
        args.budget = 3600 if args.quick else 360
    if args.step_timeout is None:
        args.step_timeout = 600 if args.quick else 150
    kit = Kit(args)
    log("kit %s, results to %s%s" % (kit.kit, kit.out, " (quick)" if args.quick else ""))
    kit.adapter()
    if not args.skip_conformance:
        kit.conformance()
    others = [f for f in FAMILIES if f != kit.default_family]
    if not args.skip_nets:
        kit.nets([kit.default_family])
        kit.nets([kit.default_family], "f16")
        # Each depthwise form forced, with wgtf's GEMM kernel (--quick: MobileNetV2 only).
        kit.nets([kit.default_family], dws=DEPTHWISE_FORMS, only=DEPTHWISE_NETS[:1] if args.quick else DEPTHWISE_NETS)
    if not args.skip_matmul:
        kit.matmul()
    kit.torch()
    if not args.skip_nets:
        if args.quick:
            kit.results["notes"].append("networks with WGTF_GEMM=%s not run (--quick)" % "|".join(others))
        else:
            kit.nets(others)
    kit.save()
    shutil.rmtree(kit.tmp, ignore_errors=True)
    print()
    print(kit.markdown())
    log("done: %s and %s" % (os.path.join(kit.out, "gpu_bench.md"), os.path.join(kit.out, "gpu_bench.json")))
    conf_fail = any(c["failed"] for c in kit.results["conformance"].values())
    wrong = any(str(m.get("check", "")).startswith(("WRONG", "ERROR")) for m in kit.results["matmul"])
    return 1 if conf_fail or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
