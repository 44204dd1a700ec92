#!/usr/bin/env python3
"""Makes the benchmark models (frozen GraphDefs) under target/bench-models/.

Requires tensorflow-cpu==2.21.0 (python3 -m venv .venv-tf && .venv-tf/bin/pip install tensorflow-cpu==2.21.0).
Run: .venv-tf/bin/python bench/make_models.py
Random weights with fixed seeds: the figures are about speed, not accuracy.
"""
import os
import sys

import numpy as np
import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "bench-models")


def freeze_keras(model, shape, name):
    fn = tf.function(lambda x: model(x, training=False))
    cf = fn.get_concrete_function(tf.TensorSpec(shape, tf.float32, name="input"))
    frozen = convert_variables_to_constants_v2(cf)
    gd = frozen.graph.as_graph_def()
    path = os.path.join(OUT, name + ".pb")
    with open(path, "wb") as f:
        f.write(gd.SerializeToString(deterministic=True))
    outs = [t.name for t in frozen.outputs]
    print(name, path, "outputs", outs, "%.1f MB" % (os.path.getsize(path) / 1e6))
    return path


def matmul(n):
    g = tf.Graph()
    with g.as_default():
        a = tf.compat.v1.placeholder(tf.float32, [n, n], name="a")
        b = tf.constant(np.random.RandomState(n).uniform(-1, 1, (n, n)).astype(np.float32), name="b")
        tf.matmul(a, b, name="y")
    path = os.path.join(OUT, "matmul_%d.pb" % n)
    with open(path, "wb") as f:
        f.write(g.as_graph_def().SerializeToString(deterministic=True))
    print("matmul", n, path)


def main():
    os.makedirs(OUT, exist_ok=True)
    tf.random.set_seed(0)
    which = sys.argv[1:] or ["mobilenetv2", "mobilenetv2_batch", "resnet50", "efficientnetb0", "matmul"]
    if "mobilenetv2" in which:
        freeze_keras(tf.keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3)), [1, 224, 224, 3], "mobilenetv2_224")
    if "mobilenetv2_batch" in which:
        # The same network with an unknown batch dim (bench/serve.py: dynamic batching).
        freeze_keras(tf.keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3)), [None, 224, 224, 3], "mobilenetv2_224_batch")
    if "resnet50" in which:
        freeze_keras(tf.keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3)), [1, 224, 224, 3], "resnet50_224")
    if "efficientnetb0" in which:
        freeze_keras(tf.keras.applications.EfficientNetB0(weights=None, input_shape=(224, 224, 3)), [1, 224, 224, 3], "efficientnetb0_224")
    if "matmul" in which:
        for n in (256, 512, 1024, 2048):
            matmul(n)


if __name__ == "__main__":
    main()
