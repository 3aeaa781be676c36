#!/usr/bin/env bash
# `npm run bench`: builds, then measures synth speed/memory, import cost, scaling (bench/synth-bench.ts).
# GPU benchmarks: bench/gpu.sh (needs an NVIDIA GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
npm run --silent build
node lib/bench/synth-bench.js
