#!/usr/bin/env python3
"""Checks tfjs_to_pb.py against TensorFlow and numpy.

  verify_rewrite.py [-v]

1. Rewrite vs TF's native fused kernels: small graphs with TF's own _FusedConv2D,
   _FusedMatMul and _FusedDepthwiseConv2dNative (CPU kernels; TArgs set) are run
   by TF; the same nodes written the TF.js way (no TArgs; the depthwise one as
   FusedDepthwiseConv2dNative) go through tfjs_to_pb.reference_graph and are
   run too; the outputs must agree to 1e-5 relative (they are usually
   bit-identical). Fused-op lists TF has no CPU kernel for are reported as such.
2. Prelu (standalone and fused [BiasAdd, Prelu], which TF cannot run natively)
   against numpy: where(x < 0, alpha * x, x), bit-exact.
3. Weight decoding (tfjs_to_pb.decode_weights) on a synthetic weightsManifest
   covering float32, int32, bool, string, complex64, uint8/uint16-quantized
   float32 and int32, float16, with the bytes split over shards at odd places.
4. published_graph: an int64 Const stored as an int32 weight comes back int64;
   string attrs given as lists of character codes are repaired.
The rewritten graphs run with grappler off (TF executes the plain ops as written).
Part 1 runs twice: with TF_ENABLE_ONEDNN_OPTS=0 (like make_cases.py; Eigen
kernels) and =1 (oneDNN: the only CPU kernels of _FusedDepthwiseConv2dNative and
of _FusedConv2D [BiasAdd, Add, Relu]). Exit status 1 on any failure.
"""
import json
import os
import sys
import tempfile

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
import tensorflow as tf  # noqa: E402
from tensorflow.core.framework import graph_pb2, node_def_pb2, types_pb2  # noqa: E402
from tensorflow.python.framework import tensor_util  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tfjs_to_pb  # noqa: E402

RNG = np.random.default_rng(1234)
VERBOSE = "-v" in sys.argv
results = []  # (name, status, detail)


def report(name, ok, detail):
    results.append((name, ok, detail))
    print("%-4s %-60s %s" % ({True: "ok", False: "FAIL", None: "n/a"}[ok], name, detail), flush=True)


def const(name, arr):
    n = node_def_pb2.NodeDef(name=name, op="Const")
    n.attr["dtype"].type = tf.as_dtype(arr.dtype).as_datatype_enum
    n.attr["value"].tensor.CopyFrom(tensor_util.make_tensor_proto(arr, shape=arr.shape))
    return n


def placeholder(name, shape):
    n = node_def_pb2.NodeDef(name=name, op="Placeholder")
    n.attr["dtype"].type = types_pb2.DT_FLOAT
    for d in shape:
        n.attr["shape"].shape.dim.add().size = d
    return n


def run(g, feeds, fetch, optimize=True):
    """optimize=False turns grappler off, so TF runs the ops exactly as written
    (otherwise its remapper would fuse Conv2D+BiasAdd+Relu back into _FusedConv2D)."""
    cfg = tf.compat.v1.ConfigProto()
    if not optimize:
        cfg.graph_options.rewrite_options.disable_meta_optimizer = True
    with tf.Graph().as_default() as gr:
        tf.graph_util.import_graph_def(g, name="")
        with tf.compat.v1.Session(graph=gr, config=cfg) as s:
            return s.run(fetch, {gr.get_tensor_by_name(k): v for k, v in feeds.items()})


def fused_node(op, name, inputs, fused_ops, tfjs_style, **attrs):
    n = node_def_pb2.NodeDef(name=name, op=op)
    n.input.extend(inputs)
    n.attr["T"].type = types_pb2.DT_FLOAT
    n.attr["fused_ops"].list.s.extend([s.encode() for s in fused_ops])
    n.attr["num_args"].i = len(inputs) - 2
    if not tfjs_style and op != "_FusedDepthwiseConv2dNative":
        n.attr["TArgs"].list.type.extend([types_pb2.DT_FLOAT] * (len(inputs) - 2))
    for k, v in attrs.items():
        if isinstance(v, list):
            n.attr[k].list.i.extend(v)
        elif isinstance(v, bytes):
            n.attr[k].s = v
        elif isinstance(v, float):
            n.attr[k].f = v
        elif isinstance(v, bool):
            n.attr[k].b = v
    return n


def args_for(fused_ops, cout):
    out = []
    for i, op in enumerate(fused_ops):
        if op == "BiasAdd":
            out.append(("bias", RNG.standard_normal(cout).astype(np.float32)))
        elif op == "FusedBatchNorm":
            out += [("scale", RNG.uniform(0.5, 1.5, cout).astype(np.float32)),
                    ("offset", RNG.standard_normal(cout).astype(np.float32)),
                    ("mean", RNG.standard_normal(cout).astype(np.float32)),
                    ("var", RNG.uniform(0.5, 2.0, cout).astype(np.float32))]
        elif op == "Prelu":
            out.append(("alpha", RNG.uniform(0.05, 0.5, cout).astype(np.float32)))
        elif op in ("Add", "AddV2"):
            out.append(("addend", None))  # filled in by the caller (same shape as the output)
    return out


def compare_fused(kind, fused_ops, xshape, wshape, attrs, out_shape_fn):
    x = RNG.standard_normal(xshape).astype(np.float32)
    w = (RNG.standard_normal(wshape) * 0.3).astype(np.float32)
    cout = wshape[-1] if kind != "dw" else wshape[2] * wshape[3]
    if kind == "mm":
        cout = wshape[1]
    args = args_for(fused_ops, cout)
    for i, (nm, v) in enumerate(args):
        if v is None:
            args[i] = (nm, RNG.standard_normal(out_shape_fn()).astype(np.float32))
    native_op = {"conv": "_FusedConv2D", "mm": "_FusedMatMul", "dw": "_FusedDepthwiseConv2dNative"}[kind]
    tfjs_op = {"conv": "_FusedConv2D", "mm": "_FusedMatMul", "dw": "FusedDepthwiseConv2dNative"}[kind]
    label = "[oneDNN %s] %s%s %s" % (os.environ["TF_ENABLE_ONEDNN_OPTS"], tfjs_op, fused_ops, attrs.get("padding", b"").decode() + " s%s" % attrs.get("strides", "")
                         if kind != "mm" else "")

    def graph(op, tfjs_style):
        g = graph_pb2.GraphDef()
        g.node.extend([placeholder("x", xshape), const("w", w)] + [const(nm, v) for nm, v in args])
        g.node.extend([fused_node(op, "y", ["x", "w"] + [nm for nm, _ in args], fused_ops, tfjs_style, **attrs)])
        return g

    ref, _ = tfjs_to_pb.reference_graph(graph(tfjs_op, True))
    got = run(ref, {"x:0": x}, "y:0", optimize=False)
    try:
        want = run(graph(native_op, False), {"x:0": x}, "y:0")
    except Exception as e:  # noqa: BLE001
        report(label, None, "TF has no native CPU kernel: %s" % str(e).splitlines()[0][:110])
        return
    d = float(np.max(np.abs(got - want)))
    tol = 1e-5 * max(1.0, float(np.max(np.abs(want))))
    report(label, d <= tol, "max|rewrite - native| = %.3g%s" % (d, " (bit-identical)" if d == 0 else ""))


def test_fused():
    conv_attrs = [dict(strides=[1, 1, 1, 1], padding=b"SAME", data_format=b"NHWC", dilations=[1, 1, 1, 1]),
                  dict(strides=[1, 2, 2, 1], padding=b"VALID", data_format=b"NHWC", dilations=[1, 1, 1, 1])]
    for ops in (["BiasAdd"], ["BiasAdd", "Relu"], ["BiasAdd", "Relu6"], ["BiasAdd", "Elu"],
                ["BiasAdd", "LeakyRelu"], ["BiasAdd", "Sigmoid"], ["BiasAdd", "Tanh"], ["FusedBatchNorm"],
                ["FusedBatchNorm", "Relu"], ["BiasAdd", "Add", "Relu"]):
        for a in conv_attrs[:1] if len(ops) > 1 else conv_attrs:
            a = dict(a)
            if "LeakyRelu" in ops:
                a["leakyrelu_alpha"] = 0.3
            if "FusedBatchNorm" in ops:
                a["epsilon"] = 0.001
            compare_fused("conv", ops, [2, 9, 9, 5], [3, 3, 5, 7], a, lambda: [2, 9, 9, 7])
    for ops in (["BiasAdd"], ["BiasAdd", "Relu"], ["BiasAdd", "Relu6"], ["BiasAdd", "Elu"],
                ["BiasAdd", "LeakyRelu"], ["BiasAdd", "Tanh"], ["BiasAdd", "Sigmoid"]):
        a = {"leakyrelu_alpha": 0.3} if "LeakyRelu" in ops else {}
        compare_fused("mm", ops, [3, 17], [17, 6], a, lambda: [3, 6])
    dw = dict(strides=[1, 2, 2, 1], padding=b"SAME", data_format=b"NHWC", dilations=[1, 1, 1, 1])
    for ops in (["BiasAdd"], ["BiasAdd", "Relu"], ["BiasAdd", "Relu6"], ["BiasAdd", "Elu"]):
        compare_fused("dw", ops, [1, 10, 10, 4], [3, 3, 4, 2], dw, lambda: None)


def test_prelu():
    x = RNG.standard_normal([2, 6, 6, 4]).astype(np.float32)
    x[0, 0, 0, :2] = [0.0, -0.0]  # (no denormals: TF's CPU kernels flush them to zero)
    alpha = RNG.uniform(0.05, 0.5, [4]).astype(np.float32)
    g = graph_pb2.GraphDef()
    p = node_def_pb2.NodeDef(name="y", op="Prelu", input=["x", "alpha"])  # tfjs writes no attrs at all
    g.node.extend([placeholder("x", x.shape), const("alpha", alpha), p])
    ref, _ = tfjs_to_pb.reference_graph(g)
    got = run(ref, {"x:0": x}, "y:0", optimize=False)
    want = np.where(x < 0, alpha * x, x)
    same = np.array_equal(got.view(np.int32), want.view(np.int32)) or np.array_equal(got, want)
    report("Prelu (standalone, no attrs) vs numpy", bool(same),
           "max diff %.3g, %s" % (float(np.max(np.abs(got - want))), "bit-exact" if same else "NOT exact"))

    # fused [BiasAdd, Prelu]: TF has no kernel; compare with Conv2D + bias in TF, prelu in numpy
    w = (RNG.standard_normal([3, 3, 4, 5]) * 0.3).astype(np.float32)
    b = RNG.standard_normal(5).astype(np.float32)
    a5 = RNG.uniform(0.05, 0.5, [5]).astype(np.float32)
    g = graph_pb2.GraphDef()
    g.node.extend([placeholder("x", x.shape), const("w", w), const("b", b), const("a", a5),
                   fused_node("_FusedConv2D", "y", ["x", "w", "b", "a"], ["BiasAdd", "Prelu"], True,
                              strides=[1, 1, 1, 1], padding=b"SAME", data_format=b"NHWC", dilations=[1, 1, 1, 1])])
    ref, _ = tfjs_to_pb.reference_graph(g)
    got = run(ref, {"x:0": x}, "y:0", optimize=False)
    z = tf.nn.bias_add(tf.nn.conv2d(x, w, 1, "SAME"), b).numpy()
    want = np.where(z < 0, a5 * z, z)
    d = float(np.max(np.abs(got - want)))
    report("_FusedConv2D[BiasAdd, Prelu] vs Conv2D+BiasAdd (TF) + numpy prelu", d <= 1e-5 * float(np.max(np.abs(want))),
           "max diff %.3g" % d)


def test_weights():
    f32 = RNG.standard_normal([3, 5]).astype(np.float32)
    i32 = RNG.integers(-1000, 1000, [7]).astype(np.int32)
    bl = np.array([True, False, True], dtype=np.bool_)
    strs = [b"hello", b"", "w\u00f6rld".encode()]
    cx = (RNG.standard_normal(4) + 1j * RNG.standard_normal(4)).astype(np.complex64)
    q8 = RNG.integers(0, 256, [11]).astype(np.uint8)
    q16 = RNG.integers(0, 65536, [6]).astype(np.uint16)
    h = RNG.standard_normal([9]).astype(np.float16)
    qi = RNG.integers(0, 256, [5]).astype(np.uint8)
    specs = [
        {"name": "f32", "shape": [3, 5], "dtype": "float32"},
        {"name": "i32", "shape": [7], "dtype": "int32"},
        {"name": "bool", "shape": [3], "dtype": "bool"},
        {"name": "str", "shape": [3], "dtype": "string"},
        {"name": "cx", "shape": [4], "dtype": "complex64"},
        {"name": "q8", "shape": [11], "dtype": "float32", "quantization": {"dtype": "uint8", "min": -1.25, "scale": 0.01}},
        {"name": "q16", "shape": [2, 3], "dtype": "float32",
         "quantization": {"dtype": "uint16", "min": -3.0, "scale": 1e-4}},
        {"name": "f16", "shape": [9], "dtype": "float32", "quantization": {"dtype": "float16",
                                                                         "original_dtype": "float32"}},
        {"name": "qi", "shape": [5], "dtype": "int32", "quantization": {"dtype": "uint8", "min": -7.0, "scale": 0.5}},
        {"name": "scalar", "shape": [], "dtype": "float32"},
    ]
    buf = b"".join([f32.tobytes(), i32.tobytes(), bl.astype(np.uint8).tobytes(),
                    b"".join(np.uint32(len(s)).tobytes() + s for s in strs),
                    cx.real.astype(np.float32).tobytes() + cx.imag.astype(np.float32).tobytes(),
                    q8.tobytes(), q16.tobytes(), h.tobytes(), qi.tobytes(), np.float32(2.5).tobytes()])
    expect = {
        "f32": f32, "i32": i32, "bool": bl, "str": np.array(strs, dtype=object), "cx": cx,
        "q8": (q8.astype(np.float64) * 0.01 - 1.25).astype(np.float32),
        "q16": (q16.astype(np.float64) * 1e-4 - 3.0).astype(np.float32).reshape(2, 3),
        "f16": h.astype(np.float32),
        "qi": np.floor(qi.astype(np.float64) * 0.5 - 7.0 + 0.5).astype(np.int32),
        "scalar": np.float32(2.5),
    }
    # two groups, three shards split at odd offsets: decode_weights sees the concatenation
    with tempfile.TemporaryDirectory() as d:
        cuts = [0, 13, 101, len(buf)]
        for p, (lo, hi) in zip("abc", zip(cuts, cuts[1:])):
            with open(os.path.join(d, p), "wb") as f:
                f.write(buf[lo:hi])
        man2 = [{"paths": ["a", "b"], "weights": specs[:4]}, {"paths": ["c"], "weights": specs[4:]}]
        mj = {"format": "graph-model", "modelTopology": {"node": []}, "weightsManifest": man2}
        with open(os.path.join(d, "model.json"), "w") as f:
            json.dump(mj, f)
        _, got, _ = tfjs_to_pb.load_model(os.path.join(d, "model.json"))
    bad = []
    for k, v in expect.items():
        g = got[k]
        if g.dtype != np.asarray(v).dtype or g.shape != np.shape(v) or not np.array_equal(g, v):
            bad.append("%s: got %s %s %r want %s %r" % (k, g.dtype, g.shape, g.ravel()[:3], np.asarray(v).dtype,
                                                        np.ravel(v)[:3]))
    report("decode_weights: all dtypes and quantizations over 3 shards", not bad, "; ".join(bad) or
           "%d weights, %d bytes" % (len(expect), len(buf)))


def test_published():
    mj = {"format": "graph-model",
          "modelTopology": {"node": [
              {"name": "c64", "op": "Const", "attr": {"dtype": {"type": "DT_INT64"},
                                                      "value": {"tensor": {"dtype": "DT_INT64",
                                                                           "tensorShape": {"dim": [{"size": "2"}]}}}}},
              {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}}},
              {"name": "y", "op": "Relu", "input": ["x"],
               "attr": {"T": {"type": "DT_FLOAT"}, "_note": {"s": [104, 105]}}},
              {"name": "z", "op": "Identity", "input": ["x"],
               "attr": {"T": {"type": "DT_FLOAT"}, "_notes": {"list": {"s": [[97], [98, 99]]}}}},
              # coco-ssd (converter 0.x/1.x): the empty string as [], next to an empty list.s
              {"name": "e", "op": "Identity", "input": ["x"],
               "attr": {"T": {"type": "DT_FLOAT"}, "_empty": {"s": []},
                        "_dims": {"list": {"s": [], "i": ["0"]}}}}]},
          "weightsManifest": [{"paths": [], "weights": [{"name": "c64", "shape": [2], "dtype": "int32"}]}]}
    w, _ = tfjs_to_pb.decode_weights(mj["weightsManifest"], np.array([5, -6], np.int32).tobytes())
    notes = []
    g = tfjs_to_pb.published_graph(mj, w, notes)
    c = tensor_util.MakeNdarray([n for n in g.node if n.name == "c64"][0].attr["value"].tensor)
    y = [n for n in g.node if n.name == "y"][0]
    z = [n for n in g.node if n.name == "z"][0]
    e = [n for n in g.node if n.name == "e"][0]
    ok = c.dtype == np.int64 and list(c) == [5, -6] and y.attr["_note"].s == b"hi" and \
        list(z.attr["_notes"].list.s) == [b"a", b"bc"] and e.attr["_empty"].WhichOneof("value") == "s" and \
        e.attr["_empty"].s == b"" and list(e.attr["_dims"].list.s) == [] and list(e.attr["_dims"].list.i) == [0]
    report("published_graph: int64 Const from int32 weight; char-code string attrs (also [] = empty string)", ok,
           "const %s %s, attr %r %r; notes: %s" % (c.dtype, list(c), y.attr["_note"].s, list(z.attr["_notes"].list.s),
                                                  notes))


def main():
    test_fused()
    if "--fused-only" in sys.argv:
        print(json.dumps([[n, ok] for n, ok, _ in results]))
        return 0
    test_prelu()
    test_weights()
    test_published()
    # TF's native _FusedDepthwiseConv2dNative (and _FusedConv2D [BiasAdd, Add, Relu]) only have oneDNN
    # kernels: compare against those too, in a child process with oneDNN on.
    import subprocess
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="1")
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--fused-only"] + (["-v"] if VERBOSE else []),
                         env=env, capture_output=True, text=True)
    lines = out.stdout.strip().splitlines()
    for ln in lines[:-1]:
        print(ln)
    for n, ok in json.loads(lines[-1]):
        results.append((n, ok, ""))
    bad = [r for r in results if r[1] is False]
    na = [r for r in results if r[1] is None]
    print("%d passed, %d failed" % (len(results) - len(bad) - len(na), len(bad))
          + (" (%d checks without a native TF kernel to compare with)" % len(na) if na else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
