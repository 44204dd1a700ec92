#!/usr/bin/env python3
"""The PyTorch side of the real-GPU kit (bench/gpu/kit.py runs it when torch has CUDA).

Networks: torchvision MobileNetV2, ResNet50 and EfficientNetB0 (weights=None: random, nothing
downloaded), eval mode, torch.inference_mode, float32, TF32 off, cudnn.benchmark=True, batch 1
and 8, NCHW (PyTorch's own layout). End to end = a host (pageable) tensor `.cuda()`, the forward,
`.cpu()` of the logits, timed on the host; GPU = CUDA events around the forward of a resident input.

Matrix products: torch.mm on NxN float32 (cuBLAS SGEMM, TF32 off), timed with CUDA events; and
end to end like the wgtf probe: `(a*x).mm(b).sum().item()` with a, b resident.

Writes one JSON object to --out.
"""
import argparse
import json
import time

import torch
import torchvision

NETS = {
    "MobileNetV2": lambda: torchvision.models.mobilenet_v2(weights=None),
    "ResNet50": lambda: torchvision.models.resnet50(weights=None),
    "EfficientNetB0": lambda: torchvision.models.efficientnet_b0(weights=None),
}
T0 = time.time()
DEV = "cuda"  # --device cpu: a smoke test of this script on a machine without CUDA


def sync():
    if DEV == "cuda":
        torch.cuda.synchronize()


def timed(fn):
    """Milliseconds of fn(): CUDA events on the GPU (host clock on the CPU smoke test)."""
    if DEV != "cuda":
        t = time.perf_counter()
        fn()
        return (time.perf_counter() - t) * 1e3
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    fn()
    e.record()
    e.synchronize()
    return s.elapsed_time(e)


def log(*a):
    print("[torch %6.1fs]" % (time.time() - T0), *a, flush=True)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, round((len(v) - 1) * p))]


def bench_net(name, batch, iters, warmup):
    torch.manual_seed(0)
    m = NETS[name]().eval().to(DEV)
    x = torch.randn(batch, 3, 224, 224)
    with torch.inference_mode():
        for _ in range(warmup):
            m(x.to(DEV)).cpu()
        sync()
        e2e = []
        for _ in range(iters):
            t = time.perf_counter()
            m(x.to(DEV)).cpu()
            e2e.append((time.perf_counter() - t) * 1e3)
        xg = x.to(DEV)
        gpu = [timed(lambda: m(xg)) for _ in range(iters)]
    del m
    if DEV == "cuda":
        torch.cuda.empty_cache()
    return {"net": name, "batch": batch, "e2e_p50_ms": pct(e2e, 0.5), "e2e_min_ms": min(e2e), "gpu_p50_ms": pct(gpu, 0.5),
            "gpu_min_ms": min(gpu), "img_per_s": batch * 1e3 / (sum(e2e) / len(e2e))}


def bench_mm(n, iters):
    g = torch.Generator(device=DEV).manual_seed(n)
    a = torch.rand(n, n, device=DEV, generator=g) * 2 - 1
    b = torch.rand(n, n, device=DEV, generator=g) * 2 - 1
    c = torch.empty(n, n, device=DEV)
    for _ in range(3):
        torch.mm(a, b, out=c)
    sync()

    def loop():
        for _ in range(iters):
            torch.mm(a, b, out=c)
    ms = timed(loop) / iters
    x = torch.tensor(1.0, device=DEV)
    (a * x).mm(b).sum().item()
    e2e = []
    for _ in range(iters):
        t = time.perf_counter()
        (a * x).mm(b).sum().item()
        e2e.append((time.perf_counter() - t) * 1e3)
    del a, b, c
    if DEV == "cuda":
        torch.cuda.empty_cache()
    return {"n": n, "ms": ms, "gflops": 2 * n ** 3 / (ms * 1e6), "e2e_ms": pct(e2e, 0.5), "gflops_e2e": 2 * n ** 3 / (pct(e2e, 0.5) * 1e6)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--matmul-iters", type=int, default=10)
    ap.add_argument("--sizes", default="1024,2048,4096")
    ap.add_argument("--nets", default=",".join(NETS))
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"], help="cpu: a smoke test of this script only")
    args = ap.parse_args()
    global DEV
    DEV = args.device
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    torch.set_float32_matmul_precision("highest")
    r = {"status": "ok", "torch": torch.__version__, "torchvision": torchvision.__version__, "cuda": torch.version.cuda,
         "cudnn": torch.backends.cudnn.version(), "device": torch.cuda.get_device_name(0) if DEV == "cuda" else "CPU (smoke test, not a figure)",
         "settings": "float32, TF32 off (cuda.matmul and cudnn), cudnn.benchmark=True, inference_mode, NCHW",
         "nets": [], "matmul": []}

    def save():
        with open(args.out, "w") as f:
            json.dump(r, f, indent=1)

    log(r["device"], "torch", r["torch"], "CUDA", r["cuda"], "cuDNN", r["cudnn"])
    for name in [s for s in args.nets.split(",") if s]:
        for batch in (1, 8):
            try:
                x = bench_net(name, batch, args.iters, args.warmup)
                log("%s batch %d: e2e p50 %.2f ms, GPU p50 %.2f ms" % (name, batch, x["e2e_p50_ms"], x["gpu_p50_ms"]))
            except Exception as e:  # noqa: BLE001 (reported in the table)
                x = {"net": name, "batch": batch, "error": str(e)[:200]}
                log("%s batch %d: ERROR %s" % (name, batch, e))
            r["nets"].append(x)
            save()
    for n in [int(s) for s in args.sizes.split(",") if s]:
        x = bench_mm(n, args.matmul_iters)
        log("torch.mm %d: %.3f ms, %.0f GFLOP/s; e2e %.3f ms" % (n, x["ms"], x["gflops"], x["e2e_ms"]))
        r["matmul"].append(x)
        save()
    save()


if __name__ == "__main__":
    main()
