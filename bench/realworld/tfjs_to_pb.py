#!/usr/bin/env python3
"""TensorFlow.js graph model (model.json + weight shards) -> TensorFlow GraphDef.

  tfjs_to_pb.py MODEL.json [--published OUT.pb] [--reference OUT.pb] [--check]
  tfjs_to_pb.py --all          (every model of manifest.json, into work/models/<id>/)

As a module: load_model(path) -> (model_json, {weight name: ndarray});
published_graph(model_json, weights) -> GraphDef; reference_graph(graphdef) -> GraphDef.

published.pb: modelTopology (a GraphDef in protobuf's JSON mapping) with every
node unchanged; each Const node gets its weight as its `value` tensor. The
converter leaves a `value` attr with dtype and shape but no content on every
Const node; the content comes from the weights, decoded like tfjs-core's
io_utils.decodeWeights:
  * the shards are concatenated in weightsManifest order; weights are laid
    out back to back in manifest order, each prod(shape) * bytes(dtype) bytes
    (bytes of quantization.dtype when quantized); little-endian.
  * quantization uint8/uint16: value = q * scale + min (computed in double,
    stored as float32); for int32 weights round(q * scale + min) (JS
    Math.round: half up).
  * quantization float16: IEEE half -> float32 (exact).
  * bool: 1 byte each; string: per element a uint32 byte length + bytes;
    complex64: prod(shape) float32 real parts, then the imaginary parts.
  * tfjs has no int64/float64: the converter stores DT_INT64 (DT_DOUBLE)
    constants as int32 (float32) weights but keeps the node's DT_INT64
    (DT_DOUBLE) dtype; the value tensor is written with the node's dtype so the
    GraphDef stays consistent.
Anything TensorFlow itself would reject is left as it is in published.pb
(FusedDepthwiseConv2dNative, Prelu, _FusedConv2D/_FusedMatMul without TArgs or
with fused ops TF has no kernel for).

reference.pb: the same graph with the TF.js-only constructs rewritten into plain
TF ops that TensorFlow 2.21 CPU runs, keeping every original node name (the
rewritten node's final output keeps the original name, helpers are named
'<name>/_ref_*'):
  _FusedConv2D(x, w, args..)        -> Conv2D + fused ops in order
  _FusedMatMul(a, b, args..)        -> MatMul + fused ops in order
  FusedDepthwiseConv2dNative(x,w,..)-> DepthwiseConv2dNative + fused ops
  fused ops: BiasAdd (1 arg), FusedBatchNorm (4 args: scale, offset, mean,
  variance; attr epsilon) -> FusedBatchNormV3, Add/AddV2 (1 arg), Relu, Relu6,
  Elu, Selu, Sigmoid, Tanh, LeakyRelu (attr leakyrelu_alpha, default 0.2),
  Prelu (1 arg: alpha)
  Prelu(x, alpha) -> Relu(x) - alpha * Relu(-x)   (bit-exact: x or alpha*x)
  and missing 'T' attributes are filled in (DT_FLOAT).
"""
import argparse
import base64
import json
import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from google.protobuf import json_format  # noqa: E402
from tensorflow.core.framework import attr_value_pb2, graph_pb2, node_def_pb2, types_pb2  # noqa: E402
from tensorflow.python.framework import tensor_util  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, "work")

NP_DTYPE = {"float32": np.float32, "int32": np.int32, "bool": np.bool_, "uint8": np.uint8, "uint16": np.uint16,
            "float16": np.float16, "complex64": np.complex64}
BYTES = {"float32": 4, "int32": 4, "bool": 1, "complex64": 8, "float16": 2, "uint8": 1, "uint16": 2}
DT_NP = {types_pb2.DT_FLOAT: np.float32, types_pb2.DT_DOUBLE: np.float64, types_pb2.DT_INT32: np.int32,
         types_pb2.DT_INT64: np.int64, types_pb2.DT_BOOL: np.bool_, types_pb2.DT_UINT8: np.uint8,
         types_pb2.DT_INT8: np.int8, types_pb2.DT_INT16: np.int16, types_pb2.DT_UINT16: np.uint16,
         types_pb2.DT_HALF: np.float16, types_pb2.DT_COMPLEX64: np.complex64}


# ---------------------------------------------------------------------------
# weights

def decode_weights(weights_manifest, buf):
    """Returns ({name: ndarray}, {name: spec}) from the concatenated shard bytes."""
    out, specs = {}, {}
    off = 0
    for group in weights_manifest:
        for spec in group["weights"]:
            name, dtype = spec["name"], spec["dtype"]
            shape = [int(d) for d in spec["shape"]]
            size = int(np.prod(shape)) if shape else 1
            q = spec.get("quantization")
            if q:
                qd = q["dtype"]
                nbytes = size * BYTES[qd]
                raw = np.frombuffer(buf, dtype="<" + np.dtype(NP_DTYPE[qd]).str[1:], count=size, offset=off)
                if qd in ("uint8", "uint16"):
                    v = raw.astype(np.float64) * float(q["scale"]) + float(q["min"])
                    if dtype == "float32":
                        arr = v.astype(np.float32)
                    elif dtype == "int32":
                        arr = np.floor(v + 0.5).astype(np.int32)  # JS Math.round
                    else:
                        raise ValueError("%s: %s quantization of %s" % (name, qd, dtype))
                elif qd == "float16":
                    if dtype != "float32":
                        raise ValueError("%s: float16 quantization of %s" % (name, dtype))
                    arr = raw.astype(np.float32)
                else:
                    raise ValueError("%s: unknown quantization dtype %s" % (name, qd))
            elif dtype == "string":
                items = []
                start = off
                for _ in range(size):
                    ln = int(np.frombuffer(buf, dtype="<u4", count=1, offset=off)[0])
                    off += 4
                    items.append(bytes(buf[off:off + ln]))
                    off += ln
                nbytes, off = off - start, start
                arr = np.array(items, dtype=object).reshape(shape)
            elif dtype == "complex64":
                nbytes = size * 8
                f = np.frombuffer(buf, dtype="<f4", count=2 * size, offset=off)
                arr = (f[:size] + 1j * f[size:]).astype(np.complex64)
            elif dtype in ("float32", "int32", "bool"):
                nbytes = size * BYTES[dtype]
                raw = np.frombuffer(buf, dtype="<" + np.dtype(NP_DTYPE[dtype]).str[1:] if dtype != "bool" else np.uint8,
                                    count=size, offset=off)
                arr = raw.astype(np.bool_) if dtype == "bool" else raw.copy()
            else:
                raise ValueError("%s: unknown dtype %s" % (name, dtype))
            if off + nbytes > len(buf):
                raise ValueError("weights run past the end of the shards at %s" % name)
            out[name] = np.asarray(arr).reshape(shape)
            specs[name] = spec
            off += nbytes
    if off != len(buf):
        raise ValueError("weights use %d bytes, shards hold %d" % (off, len(buf)))
    return out, specs


def load_model(path):
    """Reads model.json and its shards. Returns (model_json, weights dict, specs dict)."""
    with open(path) as f:
        mj = json.load(f)
    if mj.get("format") not in (None, "graph-model"):
        raise ValueError("%s: format %r is not a graph model" % (path, mj.get("format")))
    d = os.path.dirname(os.path.abspath(path))
    chunks = []
    for group in mj["weightsManifest"]:
        for p in group["paths"]:
            with open(os.path.join(d, p), "rb") as f:
                chunks.append(f.read())
    weights, specs = decode_weights(mj["weightsManifest"], b"".join(chunks))
    return mj, weights, specs


# ---------------------------------------------------------------------------
# GraphDef

def _fix_json(obj, in_list=False):
    """Repairs protobuf-JSON quirks seen in the wild before ParseDict: string attrs ('s') given as
    lists of character codes instead of base64 (tfjs-converter 0.x/1.x, e.g. coco-ssd), including the
    empty string written as [] (an AttrValue's scalar 's'; inside 'list' an empty [] is an empty list)."""
    if isinstance(obj, dict):
        for k, v in list(obj.items()):
            if k == "s" and isinstance(v, list) and not in_list and all(isinstance(c, int) for c in v):
                obj[k] = base64.b64encode(bytes(v)).decode()
            elif k == "s" and isinstance(v, list) and in_list and v and all(isinstance(c, list) for c in v):
                obj[k] = [base64.b64encode(bytes(c)).decode() for c in v]
            else:
                _fix_json(v, in_list=(k == "list"))
    elif isinstance(obj, list):
        for v in obj:
            _fix_json(v)
    return obj


def topology_graph(mj):
    topo = _fix_json(json.loads(json.dumps(mj["modelTopology"])))
    g = graph_pb2.GraphDef()
    json_format.ParseDict(topo, g, ignore_unknown_fields=True)
    return g


def published_graph(mj, weights, notes=None):
    """The graph exactly as published, with the weights as Const values."""
    notes = notes if notes is not None else []
    g = topology_graph(mj)
    seen = set()
    for fn in [None] + list(g.library.function):
        nodes = g.node if fn is None else fn.node_def
        for n in nodes:
            if n.op != "Const" or n.name not in weights:
                continue
            seen.add(n.name)
            arr = weights[n.name]
            dt = n.attr["dtype"].type if "dtype" in n.attr else None
            if dt in DT_NP and arr.dtype != object and np.dtype(DT_NP[dt]) != arr.dtype:
                notes.append("Const %s: node dtype %s, weight %s (stored as the node's dtype)"
                             % (n.name, types_pb2.DataType.Name(dt), arr.dtype))
                arr = arr.astype(DT_NP[dt])
            if arr.dtype == object:
                t = tensor_util.make_tensor_proto(list(arr.reshape(-1)), dtype=types_pb2.DT_STRING, shape=arr.shape)
            else:
                t = tensor_util.make_tensor_proto(arr, shape=arr.shape)
            n.attr["value"].tensor.CopyFrom(t)
            if "dtype" not in n.attr:
                n.attr["dtype"].type = t.dtype
    missing = [w for w in weights if w not in seen]
    if missing:
        notes.append("weights without a Const node: %s" % ", ".join(missing[:5]))
    empty = [n.name for n in g.node if n.op == "Const" and n.name not in weights
             and not _has_content(n.attr["value"].tensor)]
    if empty:
        notes.append("Const nodes without weights: %s" % ", ".join(empty[:5]))
    if "modelInitializer" in mj:
        notes.append("model.json has a modelInitializer (not merged into the graph)")
    return g


def _has_content(t):
    n = int(np.prod([d.size for d in t.tensor_shape.dim])) if t.tensor_shape.dim else 1
    if n == 0 or t.tensor_content:
        return True
    return any(len(getattr(t, f)) for f in ("float_val", "double_val", "int_val", "int64_val", "bool_val",
                                           "string_val", "half_val", "scomplex_val"))


# ---------------------------------------------------------------------------
# rewrite for TensorFlow

ACTIVATIONS = {"Relu", "Relu6", "Elu", "Selu", "Sigmoid", "Tanh"}
FUSED = {"_FusedConv2D", "_FusedMatMul", "FusedDepthwiseConv2dNative", "_FusedDepthwiseConv2dNative"}


class Rewriter:
    def __init__(self):
        self.out = []
        self.log = []

    def node(self, name, op, inputs, **attrs):
        n = node_def_pb2.NodeDef(name=name, op=op)
        n.input.extend(inputs)
        for k, v in attrs.items():
            if isinstance(v, attr_value_pb2.AttrValue):
                n.attr[k].CopyFrom(v)
            elif isinstance(v, bool):
                n.attr[k].b = v
            elif isinstance(v, int) and k in ("T", "U", "dtype"):
                n.attr[k].type = v
            elif isinstance(v, int):
                n.attr[k].i = v
            elif isinstance(v, float):
                n.attr[k].f = v
            elif isinstance(v, (str, bytes)):
                n.attr[k].s = v.encode() if isinstance(v, str) else v
            else:
                raise TypeError(k)
        self.out.append(n)
        return name

    def prelu(self, name, x, alpha, T):
        pos = self.node(name + "/_ref_prelu_pos", "Relu", [x], T=T)
        neg = self.node(name + "/_ref_prelu_neg", "Neg", [x], T=T)
        negr = self.node(name + "/_ref_prelu_negrelu", "Relu", [neg], T=T)
        mul = self.node(name + "/_ref_prelu_mul", "Mul", [alpha, negr], T=T)
        return self.node(name, "Sub", [pos, mul], T=T)

    def fused(self, n):
        data = [i for i in n.input if not i.startswith("^")]
        ctrl = [i for i in n.input if i.startswith("^")]
        T = n.attr["T"].type if "T" in n.attr else types_pb2.DT_FLOAT
        ops = [s.decode() for s in n.attr["fused_ops"].list.s] if "fused_ops" in n.attr else []
        nargs = n.attr["num_args"].i if "num_args" in n.attr else len(data) - 2
        if nargs != len(data) - 2:
            self.log.append("%s: num_args=%d but %d extra inputs" % (n.name, nargs, len(data) - 2))
        args = list(data[2:])
        fmt = n.attr["data_format"].s if "data_format" in n.attr else b"NHWC"
        steps = []  # (op, n_args)
        for op in ops:
            if op == "BiasAdd" or op in ("Add", "AddV2"):
                steps.append((op, 1))
            elif op == "FusedBatchNorm":
                steps.append((op, 4))
            elif op == "Prelu":
                steps.append((op, 1))
            elif op in ACTIVATIONS or op == "LeakyRelu":
                steps.append((op, 0))
            else:
                raise ValueError("%s: fused op %r not handled" % (n.name, op))
        if sum(k for _, k in steps) != len(args):
            raise ValueError("%s: fused ops %s need %d args, node has %d"
                             % (n.name, ops, sum(k for _, k in steps), len(args)))
        last = len(steps) == 0
        base_name = n.name if last else n.name + "/_ref_base"
        keep = {k: n.attr[k] for k in n.attr}
        if n.op == "_FusedConv2D":
            attrs = {k: keep[k] for k in ("strides", "padding", "explicit_paddings", "data_format", "dilations",
                                          "use_cudnn_on_gpu") if k in keep}
            cur = self.node(base_name, "Conv2D", data[:2] + ctrl, T=T, **attrs)
        elif n.op == "_FusedMatMul":
            attrs = {k: keep[k] for k in ("transpose_a", "transpose_b") if k in keep}
            cur = self.node(base_name, "MatMul", data[:2] + ctrl, T=T, **attrs)
        else:
            attrs = {k: keep[k] for k in ("strides", "padding", "explicit_paddings", "data_format", "dilations")
                     if k in keep}
            cur = self.node(base_name, "DepthwiseConv2dNative", data[:2] + ctrl, T=T, **attrs)
        for i, (op, k) in enumerate(steps):
            a, args = args[:k], args[k:]
            nm = n.name if i == len(steps) - 1 else "%s/_ref_%d_%s" % (n.name, i, op)
            if op == "BiasAdd":
                cur = self.node(nm, "BiasAdd", [cur, a[0]], T=T, data_format=fmt if n.op != "_FusedMatMul" else b"NHWC")
            elif op in ("Add", "AddV2"):
                cur = self.node(nm, "AddV2", [cur, a[0]], T=T)
            elif op == "FusedBatchNorm":
                eps = n.attr["epsilon"].f if "epsilon" in n.attr else 1e-3
                bn = self.node(nm + "/_ref_bn" if nm == n.name else nm, "FusedBatchNormV3", [cur] + a, T=T,
                               U=types_pb2.DT_FLOAT, epsilon=float(eps), is_training=False, data_format=fmt)
                cur = self.node(nm, "Identity", [bn + ":0"], T=T) if nm == n.name else bn + ":0"
            elif op == "Prelu":
                cur = self.prelu(nm, cur, a[0], T)
            elif op == "LeakyRelu":
                alpha = n.attr["leakyrelu_alpha"].f if "leakyrelu_alpha" in n.attr else 0.2
                cur = self.node(nm, "LeakyRelu", [cur], T=T, alpha=float(alpha))
            else:
                cur = self.node(nm, op, [cur], T=T)
        return ops

    def run(self, g):
        counts = {}
        for n in g.node:
            if n.op in FUSED:
                ops = self.fused(n)
                key = "%s[%s]" % (n.op, ",".join(ops))
                counts[key] = counts.get(key, 0) + 1
            elif n.op == "Prelu":
                data = [i for i in n.input if not i.startswith("^")]
                ctrl = [i for i in n.input if i.startswith("^")]
                T = n.attr["T"].type if "T" in n.attr else types_pb2.DT_FLOAT
                if ctrl:
                    x = self.node(n.name + "/_ref_prelu_x", "Identity", [data[0]] + ctrl, T=T)
                else:
                    x = data[0]
                self.prelu(n.name, x, data[1], T)
                counts["Prelu"] = counts.get("Prelu", 0) + 1
            else:
                m = node_def_pb2.NodeDef()
                m.CopyFrom(n)
                self.out.append(m)
        return counts


def reference_graph(g, log=None):
    """Returns (GraphDef TF can run, {rewritten construct: count})."""
    r = Rewriter()
    counts = r.run(g)
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(g.versions)
    out.library.CopyFrom(g.library)
    out.node.extend(r.out)
    _fill_missing_attrs(out, r.log)
    if log is not None:
        log.extend(r.log)
    return out, counts


def _fill_missing_attrs(g, log):
    """Adds type attrs that tfjs graphs sometimes drop and TF requires."""
    from tensorflow.python.framework import op_def_registry
    for n in g.node:
        od = op_def_registry.get(n.op)
        if od is None:
            continue
        for a in od.attr:
            if a.name in n.attr or a.HasField("default_value"):
                continue
            if a.type == "type":
                n.attr[a.name].type = types_pb2.DT_FLOAT
                log.append("%s (%s): missing attr %s set to DT_FLOAT" % (n.name, n.op, a.name))


# ---------------------------------------------------------------------------

def convert(model_json_path, published_out=None, reference_out=None):
    """Writes published/reference .pb; returns a dict describing what was done."""
    mj, weights, specs = load_model(model_json_path)
    notes = []
    g = published_graph(mj, weights, notes)
    if published_out:
        with open(published_out, "wb") as f:
            f.write(g.SerializeToString())
    log = []
    ref, counts = reference_graph(g, log)
    if reference_out:
        with open(reference_out, "wb") as f:
            f.write(ref.SerializeToString())
    return {"notes": notes, "rewrites": counts, "log": log, "nodes": len(g.node), "ref_nodes": len(ref.node)}


def check_import(pb_path):
    """Imports a GraphDef into TensorFlow; returns None or the error text."""
    import tensorflow as tf
    g = tf.compat.v1.GraphDef()
    with open(pb_path, "rb") as f:
        g.ParseFromString(f.read())
    try:
        with tf.Graph().as_default():
            tf.graph_util.import_graph_def(g, name="")
    except Exception as e:  # noqa: BLE001
        return str(e).splitlines()[0][:300]
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", help="model.json")
    ap.add_argument("--published")
    ap.add_argument("--reference")
    ap.add_argument("--all", action="store_true", help="convert every model in manifest.json")
    ap.add_argument("--only", help="with --all: comma-separated ids")
    ap.add_argument("--check", action="store_true", help="import both graphs into TensorFlow")
    ap.add_argument("--force", action="store_true", help="with --all: redo models already converted")
    args = ap.parse_args()
    jobs = []
    if args.all:
        with open(os.path.join(HERE, "manifest.json")) as f:
            man = json.load(f)
        only = set(args.only.split(",")) if args.only else None
        for m in man["models"]:
            if only and m["id"] not in only:
                continue
            d = os.path.join(WORK, "models", m["id"])
            jobs.append((m["id"], os.path.join(d, "model.json"), os.path.join(d, "published.pb"),
                         os.path.join(d, "reference.pb")))
    elif args.model:
        jobs.append((os.path.basename(os.path.dirname(os.path.abspath(args.model))), args.model, args.published,
                     args.reference))
    else:
        ap.error("give MODEL.json or --all")
    bad = 0
    for mid, mj, pub, ref in jobs:
        info_path = os.path.join(os.path.dirname(pub), "convert.json") if (args.all and pub) else None
        if args.all and not args.force and all(os.path.exists(p) for p in (pub, ref, info_path)):
            with open(info_path) as f:
                info = json.load(f)
        else:
            try:
                info = convert(mj, pub, ref)
            except Exception as e:  # noqa: BLE001
                bad += 1
                print("FAIL %s: %s" % (mid, e))
                continue
            if args.check or args.all:
                info["tf_import_published"] = check_import(pub) if pub else None
                info["tf_import_reference"] = check_import(ref) if ref else None
            if info_path:
                with open(info_path, "w") as f:
                    json.dump(info, f, indent=1)
        if info.get("tf_import_reference"):
            bad += 1
        print("%-26s nodes=%d rewrites=%s%s%s%s" % (
            mid, info["nodes"], info["rewrites"],
            "" if not info["notes"] else " notes=%s" % info["notes"][:2] + ("..." if len(info["notes"]) > 2 else ""),
            "" if not info.get("log") else " log=%s" % info["log"][:2],
            "" if not info.get("tf_import_reference") else " TF-IMPORT-FAILED: %s" % info["tf_import_reference"]),
            flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
