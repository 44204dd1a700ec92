#!/usr/bin/env python3
"""Converts the benchmark MobileNetV2 to ONNX for wonnx (the wgpu ONNX runtime), as the
performance issue prescribes: tf2onnx with opset 11 and NCHW inputs, the `ai.onnx.ml` opset
import removed, ONNX shape inference applied.

Requires the TF venv plus onnx and tf2onnx (tf2onnx's pins predate TF 2.21, so without deps):
    .venv-tf/bin/pip install onnx && .venv-tf/bin/pip install --no-deps tf2onnx
Run: .venv-tf/bin/python bench/to_onnx.py   (writes target/bench-models/mobilenetv2_224.onnx)
"""
import os
import subprocess
import sys

import onnx

MODELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "bench-models")


def main():
    pb = os.path.join(MODELS, "mobilenetv2_224.pb")
    raw = os.path.join(MODELS, "mobilenetv2_224_raw.onnx")
    out = os.path.join(MODELS, "mobilenetv2_224.onnx")
    subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--graphdef", pb, "--inputs", "input:0",
                    "--outputs", "Identity:0", "--opset", "11", "--inputs-as-nchw", "input:0",
                    "--output", raw], check=True)
    m = onnx.load(raw)
    keep = [o for o in m.opset_import if o.domain != "ai.onnx.ml"]
    del m.opset_import[:]
    m.opset_import.extend(keep)
    m = onnx.shape_inference.infer_shapes(m)
    onnx.save(m, out)
    print("wrote", out, [(i.name, [d.dim_value for d in i.type.tensor_type.shape.dim]) for i in m.graph.input])


if __name__ == "__main__":
    main()
