#!/usr/bin/env bash
# MobileNetV2 (224x224, batch 1) in the browser beside the native build, in one sitting: wgtf on
# WebGPU (headless Chromium, SwiftShader), TensorFlow.js's WebGPU and WebAssembly backends on the
# same page, then `wgtf bench` natively (lavapipe); and the package's size.
# Needs: the benchmark models (.venv-tf/bin/python bench/make_models.py), TensorFlow in .venv-tf
# (for the TF.js conversion), web/build.sh's tools, Chromium, node + npm (npm registry).
set -euo pipefail
cd "$(dirname "$0")/../.."
pb=target/bench-models/mobilenetv2_224.pb
tfjs=target/bench-models/mobilenetv2_224_tfjs
[ -f web/pkg/wgtf_bg.wasm ] || web/build.sh
[ -f "$tfjs/model.json" ] || .venv-tf/bin/python web/bench/to_tfjs.py "$pb" Identity "$tfjs"
(cd web/bench && npm ci --no-audit --no-fund --silent)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory . > /dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
sleep 1
iters=${ITERS:-20}
NODE_PATH=web/bench/node_modules node web/test/run.mjs "http://127.0.0.1:$port/web/bench/index.html?pb=/$pb&tfjs=/$tfjs/model.json&iters=$iters" 1800 || true
echo "native (same machine, same sitting):"
target/release/wgtf bench "$pb" --iters "$iters" | grep -E "model:|latency"
echo "package: web/pkg/wgtf_bg.wasm $(stat -c %s web/pkg/wgtf_bg.wasm) bytes, $(gzip -9 -c web/pkg/wgtf_bg.wasm | wc -c) gzipped; wgtf.js $(stat -c %s web/pkg/wgtf.js) bytes"
