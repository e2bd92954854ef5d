#!/usr/bin/env bash
# Idempotent set-up for facelab on Debian 12: system packages, npm packages, the native addon.
# Safe to run again; each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libtorch-dev libgloo-dev libopenblas0-pthread dataset-fashion-mnist python3-torch python3-torchvision cmake g++ chromium)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "facelab setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "facelab setup: these Debian packages are missing; as root run:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# OpenBLAS must be the BLAS LibTorch resolves (15x faster than the reference BLAS).
if command -v update-alternatives >/dev/null && [ "$(id -u)" = "0" ]; then
  blas=$(ls /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 2>/dev/null || true)
  [ -n "$blas" ] && update-alternatives --set libblas.so.3-x86_64-linux-gnu "$blas" >/dev/null 2>&1 || true
fi

lock_hash=$(sha1sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.facelab-lock ] || [ "$(cat node_modules/.facelab-lock)" != "$lock_hash" ]; then
  echo "facelab setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.facelab-lock
fi

npm run --silent build:native >/tmp/facelab-native-build.log 2>&1 || { cat /tmp/facelab-native-build.log; exit 1; }
grep -E "LibTorch from|facelab:" /tmp/facelab-native-build.log | sed 's/^-- //' || true
