#!/usr/bin/env bash
# The real-GPU benchmark kit: run on the GPU machine, from the repository root, with the kit folder
# (bench/gpu/kit, made by bench/gpu/prepare.sh) beside it. Needs no network and no Rust toolchain:
# the kit holds the wgtf binary, the models and the Vulkan loader (.deb files).
#
#   bash bench/gpu/run.sh [--quick] [kit.py flags]     # results in $OUT, else bench/gpu/out
#
# --quick (or WGTF_KIT_QUICK=1): for CPU adapters (lavapipe): probes up to 1024, 3 iterations.
# See bench/gpu/README.md for the device-tool call.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
KIT=${WGTF_KIT:-$ROOT/bench/gpu/kit}
OUT=${OUT:-$ROOT/bench/gpu/out}
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1
mkdir -p "$OUT"

main() {
echo "== wgtf real-GPU kit: $(date -u '+%F %T') UTC, $(uname -m), $(id -un 2>/dev/null || id -u)"

if [ ! -x "$KIT/wgtf" ] || [ ! -f "$KIT/models/manifest.json" ]; then
  echo "kit: $KIT is incomplete: run bench/gpu/prepare.sh first (and carry the folder)" >&2
  return 2
fi
[ -f "$KIT/VERSIONS.json" ] && { echo "== kit versions"; cat "$KIT/VERSIONS.json"; echo; }
"$PY" -c 'import numpy' 2>/dev/null || { echo "kit: $PY has no numpy" >&2; return 2; }

# --- the Vulkan loader: carried as .deb files (bench/gpu/README.md) ---
loader=system
if [ "${WGTF_KIT_LOADER:-auto}" = private ] || ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
  if [ "$(id -u)" = 0 ] && [ "${WGTF_KIT_LOADER:-auto}" != private ]; then
    # The device README's recipe: unpack into / and refresh the linker cache.
    for f in "$KIT"/debs/*.deb; do dpkg -x "$f" / || return 2; done
    ldconfig
    loader="kit debs unpacked into /"
  else
    # Not root (or asked for): unpack into a private folder, found through LD_LIBRARY_PATH.
    PRIV=${TMPDIR:-/tmp}/wgtf-kit-root
    rm -rf "$PRIV"; mkdir -p "$PRIV"
    for f in "$KIT"/debs/*.deb; do dpkg -x "$f" "$PRIV" || return 2; done
    export LD_LIBRARY_PATH="$PRIV/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    loader="kit debs unpacked into $PRIV"
  fi
fi
echo "== Vulkan loader: $loader"

# `wgtf devices` autotunes the GEMM kernel and the depthwise form of GPU adapters: not in these
# checks (kit.py does, with a cache directory of its own).
export WGTF_GEMM=rule WGTF_DEPTHWISE=rule
has_gpu() { "$KIT/wgtf" devices 2>&1 | grep -E '^\[[0-9]+\]' | grep -vq ', Cpu) '; }
if ! has_gpu; then
  # The driver's ICD may live outside the loader's search path (the device README's fallback).
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json \
             $(find /usr/local/nvidia /usr/share/vulkan /etc/vulkan -name 'nvidia_icd*.json' 2>/dev/null); do
    [ -f "$icd" ] || continue
    echo "== no GPU adapter yet: trying VK_DRIVER_FILES=$icd"
    export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
    for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
      [ -d "$d" ] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"
    done
    egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
    [ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$egl
    has_gpu && break
  done
fi
if ! has_gpu; then
  echo "== no GPU adapter found; the loader says:"
  VK_LOADER_DEBUG=error,warn "$KIT/wgtf" devices 2>&1 | tail -20
fi
command -v nvidia-smi >/dev/null && nvidia-smi -L
echo "== wgtf devices"
"$KIT/wgtf" devices

unset WGTF_GEMM WGTF_DEPTHWISE
"$PY" "$ROOT/bench/gpu/kit.py" --kit "$KIT" --out "$OUT" "$@"
rc=$?
echo "== kit exit status $rc; results: $OUT/gpu_bench.md, $OUT/gpu_bench.json, $OUT/run.log"
return $rc
}

main "$@" 2>&1 | tee "$OUT/run.log"
exit "${PIPESTATUS[0]}"
