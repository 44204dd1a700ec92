#!/usr/bin/env python3
"""Makes conformance cases (the format of shared/conformance/cases/public/*/case.json)
for every model of manifest.json, with reference outputs from TensorFlow 2.21 CPU.

  make_cases.py [--only ID,...] [--force] [--no-fp64]

Needs work/models/<id>/{model.json, shards, published.pb, reference.pb}
(fetch.py, then tfjs_to_pb.py --all). For each model:
  * inputs: a real photo (models/samples/china.jpg or flower.jpg, alternating),
    resized with TF's bilinear (antialiased) resize to the input size and scaled
    to the range in manifest.json ("feed": range, gray, nchw, shape); integer
    inputs get 0..255; other inputs the fixed values given there;
  * fetches: the signature outputs of model.json, else the graph's sinks
    (nodes nobody consumes, less Const/NoOp/Placeholder), plus manifest.json's
    "fetch_extra" tensors (e.g. logits in front of an ArgMax);
  * reference outputs: reference.pb (the TF.js-only ops rewritten) run by TF;
  * fp32_error: the same graph converted to float64 (float attrs and constants
    -> double; ops without double kernels keep float32 behind casts), run on
    the same inputs; maxabs = max |fp32 - fp64| and tol_margin = the smallest
    (atol + rtol*|want|) / |fp32 - fp64| over the elements;
  * tolerances: rtol 1e-3; atol = max(1e-4 * max|want|, 10 * fp32 maxabs,
    1e-6) per fetch (in fetch_tolerances when above the case atol); integer and
    bool outputs are compared exactly by check.py.
Writes work/cases/pb/public/<id>/ (model.pb -> published.pb) and
work/cases/json/public/<id>/ (model.json + shards), each with case.json,
in*.npy, out*.npy (the json set links the npy files of the pb set), so that
  check.py --cases work/cases/pb --set public --cmd ...
  check.py --cases work/cases/json --set public --cmd ...
run them.
"""
import argparse
import json
import os
import shutil
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# oneDNN's fused float32 kernels (on by default on x86) are not accurate enough for a reference:
# MediaPipe selfie segmentation's output was 0.034 off the float64 result with them, 3e-5 without.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
import re  # noqa: E402

import tensorflow as tf  # noqa: E402
from tensorflow.core.framework import graph_pb2, node_def_pb2, types_pb2  # noqa: E402
from tensorflow.python.framework import tensor_util  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, "work")
REPO = os.path.dirname(os.path.dirname(HERE))
SAMPLES = [os.path.join(REPO, "models", "samples", "china.jpg"), os.path.join(REPO, "models", "samples", "flower.jpg")]
SINK_SKIP = {"Const", "NoOp", "Placeholder"}
RTOL = 1e-3


def load_graph(path):
    g = graph_pb2.GraphDef()
    with open(path, "rb") as f:
        g.ParseFromString(f.read())
    return g


def tname(n):
    return n if ":" in n else n + ":0"


def node_of(t):
    return t.lstrip("^").split(":")[0]


# ---------------------------------------------------------------------------
# inputs

def image(path, h, w, gray=False):
    raw = tf.io.read_file(path)
    img = tf.io.decode_jpeg(raw, channels=3)
    img = tf.image.resize(tf.cast(img, tf.float32), [h, w], method="bilinear", antialias=True)
    if gray:
        img = tf.image.rgb_to_grayscale(img)
    return np.clip(img.numpy(), 0.0, 255.0)  # [h, w, c] in 0..255


def audio(n, rate):
    """A deterministic 'recording': three notes (A3, C#4, E4, each with 4 harmonics) entering at 0, 0.5
    and 1.0 s with a short attack and exponential decay, plus fixed-seed noise; peak 0.5."""
    t = np.arange(n, dtype=np.float64) / rate
    x = np.zeros(n)
    for k, (f0, start) in enumerate([(220.0, 0.0), (277.18, 0.5), (329.63, 1.0)]):
        u = np.clip(t - start, 0.0, None)
        env = np.where(t >= start, np.minimum(u / 0.01, 1.0) * np.exp(-1.5 * u), 0.0)
        for h in range(1, 5):
            x += env * np.sin(2 * np.pi * f0 * h * t + k) / h
    x += np.random.default_rng(0).normal(0.0, 0.01, n)
    return 0.5 * x / np.max(np.abs(x))


def make_feeds(model, graph, sample):
    spec = model.get("feed", {})
    others = spec.get("others", {})
    feeds, notes = {}, []
    for n in graph.node:
        if n.op != "Placeholder":
            continue
        dt = tf.dtypes.as_dtype(n.attr["dtype"].type)
        name = n.name
        if name in others:
            o = others[name]
            arr = np.full(o["shape"], o["value"], dtype=dt.as_numpy_dtype)
            feeds[tname(name)] = arr
            notes.append("%s = %s (shape %s)" % (name, o["value"], o["shape"]))
            continue
        shp = n.attr["shape"].shape
        dims = None if shp.unknown_rank else [d.size for d in shp.dim]
        if spec.get("shape"):
            dims = list(spec["shape"])
        if spec.get("audio"):  # [batch, samples(, 1)] float samples in [-1, 1]
            rate = spec["audio"]["rate"]
            if dims is None or any(d < 0 for d in dims[1:]):
                raise ValueError("%s: cannot choose a shape for %s (%s); add feed.shape to manifest.json"
                                 % (model["id"], name, dims))
            dims[0] = 1 if dims[0] < 0 else dims[0]
            x = audio(dims[1], rate).astype(dt.as_numpy_dtype)
            feeds[tname(name)] = np.ascontiguousarray(np.broadcast_to(x.reshape([1, dims[1]] + [1] * (len(dims) - 2)),
                                                                      dims))
            notes.append("%s: synthetic audio, %d samples at %d Hz (%.2f s), shape %s" % (
                name, dims[1], rate, dims[1] / rate, "x".join(map(str, dims))))
            continue
        if dims is None or any(d < 0 for d in dims[1:]) or len(dims) != 4:
            raise ValueError("%s: cannot choose a shape for %s (%s); add feed.shape to manifest.json"
                             % (model["id"], name, dims))
        dims[0] = 1 if dims[0] < 0 else dims[0]
        nchw = spec.get("nchw", False)
        c, h, w = (dims[1], dims[2], dims[3]) if nchw else (dims[3], dims[1], dims[2])
        img = image(sample, h, w, gray=(c == 1 or spec.get("gray", False)))
        if img.shape[-1] != c:
            raise ValueError("%s: %d channels" % (name, c))
        if nchw:
            img = img.transpose(2, 0, 1)
        img = np.broadcast_to(img[None], dims)
        if dt.is_integer:
            arr = np.round(img).astype(dt.as_numpy_dtype)
            rng = "0..255 integers"
        else:
            lo, hi = spec.get("range", [0, 1])
            arr = (lo + img / 255.0 * (hi - lo)).astype(dt.as_numpy_dtype)
            rng = "[%g, %g]" % (lo, hi)
        feeds[tname(name)] = np.ascontiguousarray(arr)
        notes.append("%s: %s resized to %s, %s%s%s" % (name, os.path.basename(sample), "x".join(map(str, dims)), rng,
                                                    ", grayscale" if c == 1 else "", ", NCHW" if nchw else ""))
    return feeds, notes


# ---------------------------------------------------------------------------
# fetches

def signature_outputs(mj):
    sig = mj.get("signature") or mj.get("userDefinedMetadata", {}).get("signature") or {}
    return {k: tname(v.get("name", k)) for k, v in (sig.get("outputs") or {}).items()}


def sinks(graph):
    used = set()
    for n in graph.node:
        for i in n.input:
            used.add(node_of(i))
    return [tname(n.name) for n in graph.node if n.name not in used and n.op not in SINK_SKIP]


def needed_ops(graph, fetches, feeds):
    by = {n.name: n for n in graph.node}
    stop = set(node_of(f) for f in feeds)
    seen, stack = set(), [node_of(f) for f in fetches]
    while stack:
        x = stack.pop()
        if x in seen or x not in by:
            continue
        seen.add(x)
        if x in stop:
            continue
        stack.extend(node_of(i) for i in by[x].input)
    return sorted(set(by[x].op for x in seen))


# ---------------------------------------------------------------------------
# running

def run_graph(graph, feeds, fetches):
    with tf.Graph().as_default() as g:
        tf.graph_util.import_graph_def(graph, name="")
        with tf.compat.v1.Session(graph=g) as s:
            out = s.run(list(fetches), feed_dict={g.get_tensor_by_name(k): v for k, v in feeds.items()})
    return dict(zip(fetches, out))


KEEP_F32 = {  # ops without (full) double support on CPU:
    # op -> (convert the op's own type attrs?, float input positions to cast down, float outputs to cast up)
    "ResizeBilinear": (True, [], [0]),  # T may be double but the output is always float
    "NonMaxSuppressionV3": (False, [0, 1, 3, 4], []),
    "NonMaxSuppressionV4": (False, [0, 1, 3, 4], []),
    "NonMaxSuppressionV5": (False, [0, 1, 3, 4, 5], [1]),
    "FusedBatchNorm": (False, [0, 1, 2, 3, 4], [0, 1, 2, 3, 4]),
    "FusedBatchNormV3": (False, [0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5]),
}


def to_float64(graph):
    """The graph computing in double wherever TF has double kernels."""
    out = graph_pb2.GraphDef()
    out.CopyFrom(graph)
    renames = {}  # "node:k" -> tensor name of the double version
    extra = []
    for n in out.node:
        conv_attrs = True
        if n.op in KEEP_F32:
            conv_attrs, ins, outs = KEEP_F32[n.op]
            data = [i for i in n.input if not i.startswith("^")]
            for p in ins:
                if p < len(data):
                    c = node_def_pb2.NodeDef(name="%s/_f32_in%d" % (n.name, p), op="Cast", input=[data[p]])
                    c.attr["SrcT"].type = types_pb2.DT_DOUBLE
                    c.attr["DstT"].type = types_pb2.DT_FLOAT
                    extra.append(c)
                    n.input[p] = c.name
            for k in outs:
                c = node_def_pb2.NodeDef(name="%s/_f64_out%d" % (n.name, k), op="Cast", input=["%s:%d" % (n.name, k)])
                c.attr["SrcT"].type = types_pb2.DT_FLOAT
                c.attr["DstT"].type = types_pb2.DT_DOUBLE
                extra.append(c)
                renames["%s:%d" % (n.name, k)] = c.name + ":0"
        if not conv_attrs:
            continue
        for k, a in n.attr.items():
            if a.WhichOneof("value") == "type" and a.type == types_pb2.DT_FLOAT:
                a.type = types_pb2.DT_DOUBLE
            elif a.WhichOneof("value") == "list" and len(a.list.type):
                a.list.type[:] = [types_pb2.DT_DOUBLE if t == types_pb2.DT_FLOAT else t for t in a.list.type]
            elif a.WhichOneof("value") == "tensor" and a.tensor.dtype == types_pb2.DT_FLOAT:
                v = tensor_util.MakeNdarray(a.tensor).astype(np.float64)
                a.tensor.CopyFrom(tensor_util.make_tensor_proto(v, shape=v.shape))
    for n in out.node:
        for i, x in enumerate(n.input):
            if x.startswith("^"):
                continue
            key = x if ":" in x else x + ":0"
            if key in renames:
                n.input[i] = renames[key]
    out.node.extend(extra)
    return out


ERR_RE = re.compile(r"Input (\d+) of node (\S+) was passed (\w+) from (\S+?):(\d+) incompatible with expected (\w+)")


def _set_attrs(n, src, dst):
    for a in n.attr.values():
        if a.WhichOneof("value") == "type" and a.type == src:
            a.type = dst
        elif a.WhichOneof("value") == "list" and len(a.list.type):
            a.list.type[:] = [dst if t == src else t for t in a.list.type]
        elif a.WhichOneof("value") == "tensor" and a.tensor.dtype == src:
            v = tensor_util.MakeNdarray(a.tensor).astype(DT_NP[dst])
            a.tensor.CopyFrom(tensor_util.make_tensor_proto(v, shape=v.shape))


DT_NP = {types_pb2.DT_FLOAT: np.float32, types_pb2.DT_DOUBLE: np.float64}


def repair_types(g, tries=300):
    """Fixes float/double mismatches left by to_float64 (TensorArray flows are always float, ...)
    by importing the graph and flipping the node TensorFlow complains about back to float."""
    by = {n.name: n for n in g.node}
    for _ in range(tries):
        try:
            with tf.Graph().as_default():
                tf.graph_util.import_graph_def(g, name="")
            return g
        except ValueError as e:
            m = ERR_RE.search(str(e))
            if not m:
                raise
            _, node, passed, src, _, expected = m.groups()
            if passed == "float" and expected == "double":
                _set_attrs(by[node], types_pb2.DT_DOUBLE, types_pb2.DT_FLOAT)
            elif passed == "double" and expected == "float":
                _set_attrs(by[src], types_pb2.DT_DOUBLE, types_pb2.DT_FLOAT)
            else:
                raise
    raise ValueError("could not repair the float64 graph")


def fp64_outputs(ref, feeds, fetches):
    g64 = repair_types(to_float64(ref))
    f64 = {k: (v.astype(np.float64) if v.dtype == np.float32 else v) for k, v in feeds.items()}
    res = run_graph(g64, f64, fetches)
    return res


def tolerance_for(want, got64):
    """atol for a float fetch: 1e-4 of the 99th percentile of |want|, and enough that
    atol + rtol*|want| >= 10 * |fp32 - fp64| everywhere."""
    if want.dtype.kind not in "fc":
        return None
    a = np.abs(want.astype(np.float64))
    a = a[np.isfinite(a)]
    scale = float(np.percentile(a, 99)) if a.size else 0.0
    atol = max(1e-4 * scale, 1e-6)
    if got64 is not None and np.shape(got64) == want.shape:
        w = want.astype(np.float64)
        d = np.abs(w - np.asarray(got64, dtype=np.float64))
        ok = np.isfinite(d)
        if np.any(ok):
            atol = max(atol, float(np.max(10.0 * d[ok] - RTOL * np.abs(w[ok]))))
    return float("%.2g" % atol)


def unstable(want, got64):
    """True when TF's own float32 and float64 results differ by more than 1e-3 of the output's
    scale: a data-dependent selection (top-k, NMS, argmax, threshold) flipped."""
    if got64 is None or want.size == 0:
        return False
    if np.shape(got64) != want.shape:
        return True
    if want.dtype.kind not in "fc":
        return bool(np.any(want != np.asarray(got64)))
    w = want.astype(np.float64)
    d = np.abs(w - np.asarray(got64, dtype=np.float64))
    a = np.abs(w[np.isfinite(w)])
    scale = float(np.max(a)) if a.size else 0.0
    return bool(np.any(np.isfinite(d)) and np.max(d[np.isfinite(d)]) > 1e-3 * max(scale, 1e-6))


def margin(want, got64, rtol, atol):
    d = np.abs(want.astype(np.float64) - got64.astype(np.float64))
    ok = np.isfinite(d)
    d = d[ok]
    if d.size == 0 or np.max(d) == 0:
        return None
    tol = atol + rtol * np.abs(want.astype(np.float64)[ok])
    nz = d > 0
    return float(np.min(tol[nz] / d[nz]))


def link(src, dst):
    if os.path.lexists(dst):
        os.remove(dst)
    os.symlink(os.path.relpath(src, os.path.dirname(dst)), dst)


def make_case(model, idx, args):
    mid = model["id"]
    mdir = os.path.join(WORK, "models", mid)
    pb_dir = os.path.join(WORK, "cases", "pb", "public", mid)
    js_dir = os.path.join(WORK, "cases", "json", "public", mid)
    if not args.force and os.path.exists(os.path.join(pb_dir, "case.json")) and \
            os.path.exists(os.path.join(js_dir, "case.json")):
        return "cached"
    with open(os.path.join(mdir, "model.json")) as f:
        mj = json.load(f)
    with open(os.path.join(mdir, "convert.json")) as f:
        conv = json.load(f)
    pub = load_graph(os.path.join(mdir, "published.pb"))
    ref = load_graph(os.path.join(mdir, "reference.pb"))
    names = set(n.name for n in pub.node)

    feeds, feed_notes = make_feeds(model, pub, SAMPLES[idx % 2])
    keys = signature_outputs(mj)
    fetch_list = [t for t in keys.values() if node_of(t) in names]
    how = "signature outputs of model.json"
    if not fetch_list:
        fetch_list, how, keys = sinks(pub), "graph sinks (no signature in model.json)", {}
    extra = [tname(t) for t in model.get("fetch_extra", [])]
    if extra:
        fetch_list += extra
        how += " plus %s (manifest.json fetch_extra)" % ", ".join(extra)
    fetch_list = list(dict.fromkeys(fetch_list))

    t0 = time.time()
    want = run_graph(ref, feeds, fetch_list)
    t_ref = time.time() - t0
    err64, f64_note = {}, None
    if not args.no_fp64:
        try:
            got64 = fp64_outputs(ref, feeds, fetch_list)
            for k in fetch_list:
                if want[k].dtype.kind in "fc" and want[k].size:
                    w, g = want[k].astype(np.float64), np.asarray(got64[k]).astype(np.float64)
                    if w.shape != g.shape:
                        err64[k] = None
                        continue
                    d = np.abs(w - g)
                    d = d[np.isfinite(d)]
                    err64[k] = float(np.max(d)) if d.size else 0.0
        except Exception as e:  # noqa: BLE001
            f64_note = "float64 run failed: %s" % str(e).splitlines()[0][:200]
            err64 = {}
            got64 = None
    else:
        got64 = None

    dropped = []
    if got64 is not None:
        keep = [k for k in fetch_list if not unstable(want[k], got64[k])]
        if keep and len(keep) < len(fetch_list):
            dropped = [k for k in fetch_list if k not in keep]
            fetch_list = keep
    tol = {k: tolerance_for(want[k], None if got64 is None else got64[k]) for k in fetch_list}
    ftol = [t for t in tol.values() if t is not None]
    case_atol = min(ftol) if ftol else 0.0
    fetch_tols = {k: {"rtol": RTOL, "atol": t} for k, t in tol.items() if t is not None and t > case_atol}
    fp32_error = {}
    for k in fetch_list:
        if k in err64 and err64[k] is not None and got64 is not None:
            a = tol[k]
            fp32_error[k] = {"maxabs": float("%.3g" % err64[k]),
                             "tol_margin": (lambda m: None if m is None else float("%.3g" % m))(
                                 margin(want[k], np.asarray(got64[k]), RTOL, a)
                                 if np.shape(got64[k]) == want[k].shape else None)}

    discrete = sorted(set(needed_ops(pub, fetch_list, feeds)) & {
        "ArgMax", "ArgMin", "TopKV2", "NonMaxSuppressionV3", "NonMaxSuppressionV4", "NonMaxSuppressionV5",
        "Where", "Greater", "GreaterEqual", "Less", "LessEqual", "Equal", "Floor", "FloorDiv", "FloorMod", "Cast",
        "Round"})
    notes = ["Published TF.js graph model %s@%s %s (%s license; model: %s): %s." % (
        model["package"], model["version"], model["path"], model["license"], model.get("model_license", "?"),
        model["description"])]
    notes.append("Inputs: " + "; ".join(feed_notes) + (" (%s)" % model["feed"]["why"] if model.get("feed", {}).get("why")
                                                       else "") + ".")
    notes.append("Fetches: %s." % how)
    if conv["rewrites"]:
        notes.append("Reference computed by TF on reference.pb, where these TF.js-only constructs were rewritten to "
                     "plain TF ops: %s." % ", ".join("%s x%d" % kv for kv in sorted(conv["rewrites"].items())))
    if conv["notes"]:
        notes.append("Converter notes: %s%s." % ("; ".join(conv["notes"][:3]),
                                                  " (+%d more)" % (len(conv["notes"]) - 3) if len(conv["notes"]) > 3 else ""))
    if discrete:
        notes.append("Data-dependent discrete ops on the path (%s): tiny float differences can flip a decision "
                     "(a top-k/argmax/NMS choice or a threshold), and then outputs differ by a lot." % ", ".join(discrete))
    if f64_note:
        notes.append(f64_note + " (no fp32_error).")
    if dropped:
        notes.append("Not fetched: %s, where TF's own float32 and float64 results disagree by more than 1e-3 of "
                     "the output's scale (max %s): a data-dependent selection flips, so no implementation can be held "
                     "to it." % (", ".join(dropped), ", ".join("%.3g" % err64[k] if err64.get(k) is not None else "shape/int"
                                                        for k in dropped)))
    notes.append("Tolerances: rtol %g; atol per fetch max(1e-4 * 99th percentile of |want|, what makes the "
                 "tolerance >= 10x TF's own float32-vs-float64 error everywhere, 1e-6)." % RTOL)

    outputs_info = {k: {"shape": list(want[k].shape), "dtype": str(want[k].dtype)} for k in fetch_list}
    case = {
        "name": mid,
        "set": "public",
        "kind": "frozen",
        "model": "model.pb",
        "feeds": {k: "in%d.npy" % i for i, k in enumerate(feeds)},
        "fetches": {k: "out%d.npy" % i for i, k in enumerate(fetch_list)},
        "rtol": RTOL,
        "atol": case_atol,
        "ops": sorted(set(n.op for n in pub.node)),
        "ops_needed": needed_ops(pub, fetch_list, feeds),
        "notes": " ".join(notes),
        "outputs_info": outputs_info,
    }
    if fetch_tols:
        case["fetch_tolerances"] = fetch_tols
    case["fp32_error"] = fp32_error if fp32_error else None
    if keys:
        case["output_keys"] = {k: v for k, v in keys.items() if v in fetch_list}
    case["source"] = {"package": model["package"], "version": model["version"], "path": model["path"],
                      "id": mid, "weight_bytes": model.get("weight_bytes"), "tf_seconds": round(t_ref, 3)}

    for d in (pb_dir, js_dir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    for i, (k, v) in enumerate(feeds.items()):
        np.save(os.path.join(pb_dir, "in%d.npy" % i), v)
    for i, k in enumerate(fetch_list):
        np.save(os.path.join(pb_dir, "out%d.npy" % i), want[k])
    link(os.path.join(mdir, "published.pb"), os.path.join(pb_dir, "model.pb"))
    with open(os.path.join(pb_dir, "case.json"), "w") as f:
        json.dump(case, f, indent=1)
    # json set: same case, model.json + shards
    for fn in os.listdir(pb_dir):
        if fn.endswith(".npy"):
            link(os.path.join(pb_dir, fn), os.path.join(js_dir, fn))
    link(os.path.join(mdir, "model.json"), os.path.join(js_dir, "model.json"))
    for g in mj["weightsManifest"]:
        for p in g["paths"]:
            link(os.path.join(mdir, p), os.path.join(js_dir, p))
    jcase = dict(case)
    jcase["model"] = "model.json"
    with open(os.path.join(js_dir, "case.json"), "w") as f:
        json.dump(jcase, f, indent=1)
    return "fetches=%d tf=%.2fs fp32_error=%s" % (
        len(fetch_list), t_ref, "none" if not fp32_error else "%.3g" % max(v["maxabs"] for v in fp32_error.values()))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated model ids")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--no-fp64", action="store_true", help="skip the float64 run (no fp32_error)")
    args = ap.parse_args()
    with open(os.path.join(HERE, "manifest.json")) as f:
        man = json.load(f)
    only = set(args.only.split(",")) if args.only else None
    bad = 0
    for idx, m in enumerate(man["models"]):
        if only and m["id"] not in only:
            continue
        try:
            r = make_case(m, idx, args)
            print("ok   %-26s %s" % (m["id"], r), flush=True)
        except Exception as e:  # noqa: BLE001
            bad += 1
            print("FAIL %-26s %s" % (m["id"], str(e).splitlines()[0][:300]), flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
