#!/usr/bin/env bash
# Regenerates compute/requirements.lock: every Python package the trainer and server images install
# (compute[cloud,hf,data,eval] and the build backend), pinned with sha256 hashes for linux x86_64, Python 3.11, resolved
# against the torch of the pinned base image (pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime, by digest). torch, triton and
# the nvidia-* CUDA wheels come from the base image and are left out. The Dockerfiles install it with
# `pip install --require-hashes --no-deps`, so a changed or substituted file on the index fails the build.
# Needs network access to PyPI; uses uv (installed into .venv-tools when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.9.5
[ -x .venv-tools/bin/uv ] && [ "$(.venv-tools/bin/uv --version | cut -d' ' -f2)" = "$UV_VERSION" ] \
  || { [ -x .venv-tools/bin/python ] || python3 -m venv .venv-tools; .venv-tools/bin/python -m pip install --quiet "uv==$UV_VERSION"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "torch==2.8.0" > "$tmp/base-image.txt"
printf 'setuptools>=77\nwheel\n' > "$tmp/build.in"
cd compute
no_emit=(--no-emit-package torch --no-emit-package triton)
for p in cublas-cu12 cuda-cupti-cu12 cuda-nvrtc-cu12 cuda-runtime-cu12 cudnn-cu12 cufft-cu12 cufile-cu12 curand-cu12 \
  cusolver-cu12 cusparse-cu12 cusparselt-cu12 nccl-cu12 nvjitlink-cu12 nvtx-cu12; do no_emit+=(--no-emit-package "nvidia-$p"); done
../.venv-tools/bin/uv pip compile pyproject.toml "$tmp/build.in" --extra cloud --extra hf --extra data --extra eval --generate-hashes \
  --python-version 3.11 --python-platform x86_64-manylinux_2_28 -c "$tmp/base-image.txt" "${no_emit[@]}" \
  --no-header --no-annotate --custom-compile-command 'bash scripts/lock-python.sh' -o requirements.lock
