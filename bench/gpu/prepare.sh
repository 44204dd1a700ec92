#!/usr/bin/env bash
# Makes the real-GPU kit folder bench/gpu/kit/ (ignored by git): run HERE, with network, from any
# directory. See bench/gpu/README.md.
#
#   bash bench/gpu/prepare.sh [--check]
#
#   WGTF_BIN=path     use this wgtf binary (x86-64 Linux) instead of `cargo build --release`
#   TF_PYTHON=path    the Python with tensorflow-cpu==2.21.0 (default .venv-tf/bin/python)
#   --check           also make the networks with plain constants (target/gpukit-ref, not in the
#                     kit) and check on the local adapter that wgtf runs both alike (same
#                     dispatches, weight and activation bytes)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
KIT=$ROOT/bench/gpu/kit
TF_PY=${TF_PYTHON:-$ROOT/.venv-tf/bin/python}
CHECK=0
[ "${1:-}" = --check ] && CHECK=1
# The Vulkan loader and the GL-dispatch libraries the device README carries (Debian 12, amd64),
# pinned: NVIDIA's Vulkan driver (libGLX_nvidia) needs libGLdispatch from libglvnd0.
DEBS="libvulkan1=1.3.239.0-1 libglvnd0=1.6.0-1 libegl1=1.6.0-1 libgl1=1.6.0-1 libglx0=1.6.0-1 libopengl0=1.6.0-1 libgles2=1.6.0-1"

rm -rf "$KIT"
mkdir -p "$KIT/models" "$KIT/debs"

echo "== 1. the wgtf binary"
if [ -n "${WGTF_BIN:-}" ]; then
  cp "$WGTF_BIN" "$KIT/wgtf"
  bin_from="prebuilt: $WGTF_BIN"
else
  cargo build --release --bin wgtf
  cp target/release/wgtf "$KIT/wgtf"
  bin_from="cargo build --release at $(git rev-parse HEAD)$(git diff --quiet HEAD -- src shaders Cargo.toml Cargo.lock build.rs || echo ' (with local changes)')"
fi
strip "$KIT/wgtf"
chmod +x "$KIT/wgtf"
file "$KIT/wgtf" | grep -q 'x86-64' || { echo "prepare: $KIT/wgtf is not an x86-64 binary (the GPU machine is x86-64)" >&2; exit 1; }
need_glibc=$(objdump -T "$KIT/wgtf" | grep -oE 'GLIBC_[0-9.]+' | sort -V | tail -1)
echo "wgtf: $("$KIT/wgtf" --version), $(du -h "$KIT/wgtf" | cut -f1) stripped, needs $need_glibc ($bin_from)"

echo "== 2. the models (TensorFlow: $TF_PY)"
REF=""
[ $CHECK = 1 ] && REF=$ROOT/target/gpukit-ref
"$TF_PY" bench/gpu/models.py "$KIT/models" $REF 2>&1 | grep --line-buffered -vE '^(W|I|E)0000|oneDNN|cuda|TensorRT|rebuild TensorFlow|AVX|tensorflow/core/util/port|computation_placer|absl::InitializeLog'

echo "== 3. the Vulkan loader (.deb, amd64)"
# A list of amd64 packages of its own, so this works on any host architecture (device README).
lists=$(mktemp -d)
mkdir -p "$lists/partial"
o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$lists"
apt-get $o update >/dev/null
(cd "$KIT/debs" && apt-get $o download $DEBS 2>&1 | grep -v 'unsandboxed' || true)
rm -rf "$lists"
for d in $DEBS; do
  f=$(ls "$KIT/debs/${d%%=*}_"*.deb 2>/dev/null || true)
  [ -n "$f" ] || { echo "prepare: ${d} was not downloaded (a newer version replaced it? update DEBS in $0)" >&2; exit 1; }
done
ls -l "$KIT/debs"

echo "== 4. versions"
python3 - "$KIT" "$bin_from" "$need_glibc" <<'EOF'
import hashlib, json, os, subprocess, sys, time
kit, bin_from, glibc = sys.argv[1:4]
sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
man = json.load(open(os.path.join(kit, "models", "manifest.json")))
commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
v = {
    "made_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    "wgtf": subprocess.run([os.path.join(kit, "wgtf"), "--version"], capture_output=True, text=True).stdout.strip(),
    "wgtf_binary": bin_from, "wgtf_commit": commit if bin_from.startswith("cargo") else "see wgtf_binary",
    "wgtf_sha256": sha(os.path.join(kit, "wgtf")), "needs": glibc,
    "tensorflow": man["tensorflow"], "kit_commit": commit,
    "debs": {f: sha(os.path.join(kit, "debs", f)) for f in sorted(os.listdir(os.path.join(kit, "debs")))},
}
json.dump(v, open(os.path.join(kit, "VERSIONS.json"), "w"), indent=1)
print(json.dumps(v, indent=1))
EOF

if [ $CHECK = 1 ]; then
  echo "== 5. check: generated weights run like plain constants (local adapter)"
  python3 bench/gpu/check_models.py "$KIT" "$REF"
fi

echo "== size"
kit_bytes=$(du -sb "$KIT" | cut -f1)
tree_bytes=$(git ls-files -z | xargs -0 stat -c %s | awk '{s+=$1} END {print s}')
untracked=$(git ls-files -z --others --exclude-standard | xargs -0 -r stat -c %s | awk '{s+=$1} END {print s+0}')
total=$((kit_bytes + tree_bytes + untracked))
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b/1048576}'; }
echo "kit $(mib $kit_bytes) + tracked files $(mib $tree_bytes) + untracked files $(mib $untracked) = $(mib $total) of the device tool's 64 MiB"
du -sh "$KIT"/* | sort -h
[ "$total" -lt $((60 * 1048576)) ] || { echo "prepare: over 60 MiB: the device tool would refuse the working tree" >&2; exit 1; }
echo "done: carry bench/gpu/kit (see bench/gpu/README.md)"
