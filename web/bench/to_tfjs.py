#!/usr/bin/env python3
# requires tensorflow-cpu==2.21.0: .venv-tf/bin/python web/bench/to_tfjs.py IN.pb OUTPUT_NODE OUT_DIR
"""A frozen GraphDef as a TF.js graph model, optimized the way tensorflowjs_converter optimizes
graphs (grappler: pruning, constant folding, arithmetic, remapping into fused convolutions and
matrix products), so that TensorFlow.js runs the model its converter would have made. The writer
is tests/fixtures/gen_tfjs.py's (model.json + float32 shards)."""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
from tensorflow.core.protobuf import config_pb2, meta_graph_pb2  # noqa: E402
from tensorflow.python.grappler import tf_optimizer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "fixtures"))
from gen_tfjs import write_tfjs  # noqa: E402


def optimize(gd, output):
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.import_graph_def(gd, name="")
        meta = tf.compat.v1.train.export_meta_graph(graph_def=gd, graph=g)
    fetch = meta_graph_pb2.CollectionDef()
    fetch.node_list.value.append(output)
    meta.collection_def["train_op"].CopyFrom(fetch)
    config = config_pb2.ConfigProto()
    rw = config.graph_options.rewrite_options
    rw.optimizers[:] = ["pruning", "constfold", "arithmetic", "dependency", "pruning", "remap", "constfold", "arithmetic", "dependency"]
    rw.meta_optimizer_iterations = 2
    out = tf_optimizer.OptimizeGraph(config, meta)
    for n in out.node:
        if n.op == "_FusedDepthwiseConv2dNative":
            n.op = "FusedDepthwiseConv2dNative"
    return out


def main():
    src, output, dst = sys.argv[1:4]
    gd = tf.compat.v1.GraphDef()
    with open(src, "rb") as f:
        gd.ParseFromString(f.read())
    opt = optimize(gd, output)
    files, _ = write_tfjs(opt, shard_bytes=4 << 20)
    os.makedirs(dst, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(dst, name), "wb") as f:
            f.write(data)
    ops = {}
    for n in opt.node:
        ops[n.op] = ops.get(n.op, 0) + 1
    print(f"{dst}: {len(opt.node)} nodes {dict(sorted(ops.items()))}")


if __name__ == "__main__":
    main()
