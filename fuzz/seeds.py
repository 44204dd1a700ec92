#!/usr/bin/env python3
"""Writes the seed corpora (fuzz/corpus/<target>/) from the test fixtures: a few small, valid
inputs per target, in the framing of common.rs (`split`: each part but the last prefixed by its
u32 little-endian length). Run from anywhere: python3 fuzz/seeds.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "tests", "fixtures")


def read(*p):
    with open(os.path.join(FIX, *p), "rb") as f:
        return f.read()


def join(parts):
    out = b""
    for i, p in enumerate(parts):
        if i + 1 < len(parts):
            out += struct.pack("<I", len(p))
        out += p
    return out


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


for case in ["mlp", "shape_subgraph", "concat_pad", "cf_cond_v1_false", "cf_while_loop", "strided_slice", "fused_batchnorm"]:
    write("graph_def", case, read("cases", case, "model.pb"))

write("checkpoint", "tf1_mlp", join([read("persist", "ckpt_tf1_mlp", "checkpoint"),
                                      read("persist", "ckpt_tf1_mlp", "model.ckpt-5.index"),
                                      read("persist", "ckpt_tf1_mlp", "model.ckpt-5.data-00000-of-00001")]))
write("checkpoint", "tf1_subset", join([b"", read("persist", "ckpt_tf1_subset", "model.ckpt.index"),
                                         read("persist", "ckpt_tf1_subset", "model.ckpt.data-00000-of-00001")]))
v = ("persist", "saved_model_module", "saved_model", "variables")
write("checkpoint", "tf2_object_graph", join([b'model_checkpoint_path: "model.ckpt"\n', read(*v, "variables.index"),
                                               read(*v, "variables.data-00000-of-00001")]))

for case in ["saved_model_tf1_builder", "saved_model_module"]:
    sm = ("persist", case, "saved_model")
    write("saved_model", case, join([read(*sm, "saved_model.pb"), read(*sm, "variables", "variables.index"),
                                     read(*sm, "variables", "variables.data-00000-of-00001")]))

# TF.js graph models: model.json, then every shard's bytes in manifest order.
for case in ["tfjs_model_json", "tfjs_model_json_quantized_uint8", "tfjs_fused_ops_json"]:
    d = os.path.join(FIX, "cases", case)
    with open(os.path.join(d, "model.json"), "rb") as f:
        mj = f.read()
    import json as _json
    shards = b"".join(read("cases", case, p) for g in _json.loads(mj)["weightsManifest"] for p in g["paths"])
    write("tfjs", case, join([mj, shards]))

for case, f in [("mlp", "in0.npy"), ("int64_ops", "in0.npy"), ("compare_logic", "out0.npy"), ("cast_ops", "in0.npy")]:
    write("npy", case + "_" + f, read("cases", case, f))

# wgtf serve request bodies (TF Serving :predict and KServe infer), against common::serve_api.
import base64 as _b64
png = _b64.b64encode(read("..", "..", "models", "digits", "samples", "3.png")).decode()
serve = {
    "tfs_rows": '{"instances": [{"image": [[[0.5]]], "ids": 1}]}'.replace('[[[0.5]]]', str([[[0.5]] * 8] * 8)),
    "tfs_rows_b64_image": '{"instances": [{"image": {"b64": "%s"}, "ids": 3}, {"image": {"b64": "%s"}, "ids": 4}]}' % (png, png),
    "tfs_columns": '{"inputs": {"ids": [1, 2, 3], "big": [[3000000000, -1], [0, 9]], "mask": [true, false], "text": ["a", {"b64": "AP8="}], "scale": 2.5}}',
    "tfs_non_finite": '{"signature_name": "one", "inputs": [[NaN, Infinity, -Infinity], [1e-7, -0.0, 3]], "output_filter": ["y", "other:0"]}',
    "tfs_bare_instances": '{"signature_name": "one", "instances": [[1, 2, 3], [4, 5, 6]]}',
    "kserve_flat": '{"id": "r1", "inputs": [{"name": "ids", "shape": [2], "datatype": "INT32", "data": [7, 8]}, {"name": "half", "shape": [2, 2], "datatype": "FP16", "data": [[1, 2], [3, 4]]}], "outputs": [{"name": "out"}]}',
    "kserve_bytes_image": '{"inputs": [{"name": "pixels", "shape": [1], "datatype": "BYTES", "data": ["%s"]}, {"name": "any_image", "shape": [1], "datatype": "BYTES", "data": ["%s"]}]}' % (png, png),
    "kserve_signature": '{"parameters": {"signature_name": "one"}, "inputs": [{"name": "x:0", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}',
}
for name, body in serve.items():
    write("serve_request", name, body.encode())
