#!/usr/bin/env bash
# Builds wgtf for web pages into web/pkg/: wgtf.js + wgtf_bg.wasm (wasm-bindgen's --target web
# output, as wasm-pack makes it) and the typed entry point index.js + index.d.ts.
# Needs the wasm target and the wasm-bindgen CLI of the version web/Cargo.lock pins:
#   rustup target add wasm32-unknown-unknown
#   cargo install wasm-bindgen-cli --version "$(web/build.sh --bindgen-version)"
set -euo pipefail
cd "$(dirname "$0")"
version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ "${1:-}" = "--bindgen-version" ]; then
    echo "$version"
    exit 0
fi
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$version" ]; then
    echo "web/build.sh: wasm-bindgen $version is needed (found: ${have:-none}): cargo install wasm-bindgen-cli --version $version" >&2
    exit 1
fi
cargo build --release --target wasm32-unknown-unknown
rm -rf pkg
wasm-bindgen --target web --out-dir pkg --out-name wgtf target/wasm32-unknown-unknown/release/wgtf_web.wasm
cp js/index.js js/index.d.ts pkg/
raw=$(stat -c %s pkg/wgtf_bg.wasm)
gz=$(gzip -9 -c pkg/wgtf_bg.wasm | wc -c)
echo "web/pkg: wgtf_bg.wasm $raw bytes ($gz gzipped), wgtf.js, index.js, index.d.ts"
