#!/usr/bin/env python3
"""Makes the models of the real-GPU kit (bench/gpu/kit/models/), each a few hundred KB at most.

Run by bench/gpu/prepare.sh with TensorFlow 2.21 (`.venv-tf/bin/python bench/gpu/models.py OUTDIR`).

The networks are Keras' MobileNetV2, ResNet50 and EfficientNetB0 (224x224, random weights, as in
bench/make_models.py), frozen twice: input [1,224,224,3] (batch 1) and [None,224,224,3] (any
batch; the kit runs it at batch 8). Their weights would not fit the kit (ResNet50 alone is ~100 MB
as float32), so every float constant of 4096 elements or more is replaced by a small chain of ops
that computes values of the same mean and spread from its index:

    mean + std*sqrt(2) * Sin(Range(0, n) * freq + phase)   (then Reshape to the weight's shape)

The chain depends on constants only, so wgtf folds it on the CPU at load and uploads the result
once, like any weight: the run itself is the network's, kernel for kernel (the kit checks that the
counters equal those of the same network with plain constants). TensorFlow runs these graphs too.

The matmul probes compute Sum(MatMul(A*x, B)) for N = 256 ... 4096: A and B [N,N] are built the
same way from Range and Sin (folded at load, uploaded once), x is a fed scalar so that the product
is computed on the GPU at every run, and the one value read back is the sum. Its exact value is
x * colsum(A) . rowsum(B), computed here in float64 and stored in manifest.json for the kit's check
(A and B are positive, so the sum does not cancel and a wrong product shows).

Writes OUTDIR/*.pb and OUTDIR/manifest.json (inputs, outputs, FLOPs, expected values, versions).
"""
import json
import math
import os
import sys

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import attr_value_pb2, graph_pb2, node_def_pb2, tensor_pb2
from tensorflow.python.framework import tensor_util
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

# Constants with at least this many float elements become in-graph chains.
MIN_GENERATED = 4096
PROBE_SIZES = (256, 512, 1024, 2048, 4096)
# The probes' check: float32 GEMM and Sum against the exact sum (float32 rounding is ~1e-6 here; a
# dropped 64-wide slice of K at N = 4096 is 1.6e-2).
PROBE_RTOL = 1e-3
# Multiply-adds of the networks at batch 1 (keras.applications, 224x224), for GFLOP/s only.
NETS = {
    "mobilenetv2": (lambda: tf.keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3)), "MobileNetV2"),
    "resnet50": (lambda: tf.keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3)), "ResNet50"),
    "efficientnetb0": (lambda: tf.keras.applications.EfficientNetB0(weights=None, input_shape=(224, 224, 3)), "EfficientNetB0"),
}


def const_node(name, value, dtype):
    n = node_def_pb2.NodeDef(name=name, op="Const")
    n.attr["dtype"].CopyFrom(attr_value_pb2.AttrValue(type=dtype.as_datatype_enum))
    n.attr["value"].CopyFrom(attr_value_pb2.AttrValue(tensor=tensor_util.make_tensor_proto(value, dtype=dtype)))
    return n


def op_node(name, op, inputs, **types):
    n = node_def_pb2.NodeDef(name=name, op=op, input=list(inputs))
    for k, t in types.items():
        n.attr[k].CopyFrom(attr_value_pb2.AttrValue(type=t.as_datatype_enum))
    return n


def generated(name, shape, k, mean, std):
    """Nodes computing a float32 tensor of `shape` named `name`: mean + std*sqrt2*sin(i*f + p).

    Returns (nodes, the values TensorFlow's float32 arithmetic gives, approximately)."""
    n = int(np.prod(shape))
    # Distinct, irrational-looking steps and phases per tensor: values look unordered.
    freq = 0.7548776662466927 + 0.0137 * (k % 97)
    phase = 0.3 * k
    amp = std * math.sqrt(2.0)
    f32, i32 = tf.float32, tf.int32
    p = name + "/gen/"
    nodes = [
        const_node(p + "start", np.float32(0), f32),
        const_node(p + "limit", np.float32(n), f32),
        const_node(p + "delta", np.float32(1), f32),
        op_node(p + "range", "Range", [p + "start", p + "limit", p + "delta"], Tidx=f32),
        const_node(p + "freq", np.float32(freq), f32),
        op_node(p + "angle", "Mul", [p + "range", p + "freq"], T=f32),
        const_node(p + "phase", np.float32(phase), f32),
        op_node(p + "shifted", "AddV2", [p + "angle", p + "phase"], T=f32),
        op_node(p + "sin", "Sin", [p + "shifted"], T=f32),
        const_node(p + "amp", np.float32(amp), f32),
        op_node(p + "scaled", "Mul", [p + "sin", p + "amp"], T=f32),
        const_node(p + "mean", np.float32(mean), f32),
        op_node(p + "flat", "AddV2", [p + "scaled", p + "mean"], T=f32),
        const_node(p + "shape", np.array(shape, np.int32), i32),
        op_node(name, "Reshape", [p + "flat", p + "shape"], T=f32, Tshape=i32),
    ]
    i = np.arange(n, dtype=np.float32)
    vals = (np.sin(i * np.float32(freq) + np.float32(phase)).astype(np.float32) * np.float32(amp) + np.float32(mean)).reshape(shape)
    return nodes, vals


def generate_weights(gd):
    """Replaces the large float constants of `gd` by generated chains (same names, shapes)."""
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(gd.versions)
    out.library.CopyFrom(gd.library)
    k = replaced = kept_bytes = 0
    for node in gd.node:
        if node.op == "Const" and node.attr["dtype"].type == tf.float32.as_datatype_enum:
            v = tensor_util.MakeNdarray(node.attr["value"].tensor)
            if v.size >= MIN_GENERATED:
                k += 1
                nodes, _ = generated(node.name, list(v.shape), k, float(v.mean()), float(v.std()))
                # Control inputs of the Const (rare) go to the chain's first node.
                nodes[0].input.extend(i for i in node.input if i.startswith("^"))
                nodes[-1].device = node.device
                out.node.extend(nodes)
                replaced += v.size
                continue
            kept_bytes += v.nbytes
        out.node.add().CopyFrom(node)
    return out, k, replaced, kept_bytes


def freeze_keras(model, shape):
    fn = tf.function(lambda x: model(x, training=False))
    cf = fn.get_concrete_function(tf.TensorSpec(shape, tf.float32, name="input"))
    frozen = convert_variables_to_constants_v2(cf)
    gd = frozen.graph.as_graph_def()
    inputs = [t.name for t in frozen.inputs]
    outputs = [t.name for t in frozen.outputs]
    return gd, inputs, outputs


def write(gd, path):
    data = gd.SerializeToString(deterministic=True)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def run_tf(gd, feeds, fetch):
    g = tf.Graph()
    with g.as_default():
        tf.graph_util.import_graph_def(gd, name="")
    with tf.compat.v1.Session(graph=g) as s:
        return s.run(fetch, feeds)


def make_net(key, out_dir, reference_dir, check):
    build, label = NETS[key]
    tf.keras.utils.set_random_seed(0)
    model = build()
    params = int(sum(np.prod(w.shape) for w in model.weights))
    entries = []
    for suffix, shape, batch in (("", [1, 224, 224, 3], 1), ("_batch", [None, 224, 224, 3], 8)):
        gd, inputs, outputs = freeze_keras(model, shape)
        gen, k, replaced, kept = generate_weights(gd)
        name = "%s_224%s" % (key, suffix)
        path = os.path.join(out_dir, name + ".pb")
        size = write(gen, path)
        ref = None
        if reference_dir and suffix == "":
            # The same network with plain constants (not in the kit): the kit's counter check.
            ref = os.path.join(reference_dir, name + "_consts.pb")
            write(gd, ref)
        if check and suffix == "":
            x = np.random.RandomState(1).uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)
            y = run_tf(gen, {inputs[0]: x}, outputs[0])
            assert np.all(np.isfinite(y)), name + ": TensorFlow gives non-finite outputs"
            print("  TensorFlow runs %s: output %s, sum %.4f" % (name, y.shape, float(y.sum())))
        print("%s: %d weights (%.1f MB as float32), %d tensors generated in-graph (%d values), %.0f KB of constants kept; %s %.0f KB"
              % (name, params, params * 4 / 1e6, k, replaced, kept / 1e3, path, size / 1e3), flush=True)
        entries.append({
            "name": name, "file": os.path.basename(path), "net": label, "kind": "net", "batch": batch,
            "input": inputs[0], "output": outputs[0], "params": params, "generated_tensors": k,
            "pb_bytes": size, "reference_pb": ref and os.path.basename(ref),
        })
    return entries


def make_probe(n, out_dir):
    """Sum(MatMul(A*x, B)) with A, B [n,n] generated in-graph and x a fed float32 scalar."""
    f32 = tf.float32
    gd = graph_pb2.GraphDef()
    x = gd.node.add()
    x.CopyFrom(op_node("x", "Placeholder", [], dtype=f32))
    x.attr["shape"].CopyFrom(attr_value_pb2.AttrValue(shape=tf.TensorShape([]).as_proto()))
    # Positive operands (0.5 +- 0.35): the sum does not cancel, so any part of the product that
    # is missing or misplaced changes it by about its share (a zero-mean sum would hide it).
    na, a = generated("a", [n, n], 1, 0.5, 0.25)
    nb, b = generated("b", [n, n], 2, 0.5, 0.25)
    gd.node.extend(na + nb)
    gd.node.extend([
        op_node("ax", "Mul", ["a", "x"], T=f32),
        op_node("product", "MatMul", ["ax", "b"], T=f32),
        const_node("axes", np.array([0, 1], np.int32), tf.int32),
        op_node("y", "Sum", ["product", "axes"], T=f32, Tidx=tf.int32),
    ])
    gd.node[-1].attr["keep_dims"].CopyFrom(attr_value_pb2.AttrValue(b=False))
    for nd in gd.node:
        if nd.op == "MatMul":
            nd.attr["transpose_a"].CopyFrom(attr_value_pb2.AttrValue(b=False))
            nd.attr["transpose_b"].CopyFrom(attr_value_pb2.AttrValue(b=False))
    name = "matmul_%d" % n
    path = os.path.join(out_dir, name + ".pb")
    size = write(gd, path)
    # Exact sum of the product (float64 from the float32 operands): colsum(A) . rowsum(B).
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    expected = float(a64.sum(axis=0) @ b64.sum(axis=1))
    if n <= 1024:
        got = float(run_tf(gd, {"x:0": np.float32(1.0)}, "y:0"))
        rel = abs(got - expected) / abs(expected)
        assert rel < PROBE_RTOL / 10, (name, got, expected)
        print("  TensorFlow runs %s: %.7g, expected %.7g (relative error %.1e)" % (name, got, expected, rel))
    print("%s: %.0f KB, expected sum %.6g" % (path, size / 1e3, expected), flush=True)
    return {"name": name, "file": os.path.basename(path), "kind": "matmul", "n": n, "flops": 2 * n ** 3,
            "input": "x:0", "output": "y:0", "x": 1.0, "expected": expected, "rtol": PROBE_RTOL, "pb_bytes": size}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    out_dir = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "kit", "models")
    reference_dir = args[1] if len(args) > 1 else None
    check = "--no-check" not in sys.argv
    only = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--only=")]
    which = only[0].split(",") if only else list(NETS) + ["matmul"]
    os.makedirs(out_dir, exist_ok=True)
    if reference_dir:
        os.makedirs(reference_dir, exist_ok=True)
    entries = []
    for key in NETS:
        if key in which:
            entries += make_net(key, out_dir, reference_dir, check)
    if "matmul" in which:
        for n in PROBE_SIZES:
            entries.append(make_probe(n, out_dir))
    # The feed of the probes' checked runs.
    np.save(os.path.join(out_dir, "x_one.npy"), np.float32(1.0))
    manifest = {"tensorflow": tf.__version__, "numpy": np.__version__, "min_generated": MIN_GENERATED, "models": entries}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print("wrote", os.path.join(out_dir, "manifest.json"))


if __name__ == "__main__":
    main()
