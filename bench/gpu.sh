#!/usr/bin/env bash
# GPU benchmarks of the compute core, on a machine with an NVIDIA GPU; writes bench/results-gpu.json.
#  1. trainer: tokens/s and MFU of a GPT preset in bf16 with torch.compile on one GPU
#     (compute/bench/train_bench.py; target >= 40-45% MFU for a 0.5-3B model);
#  2. server: requests/s, output tokens/s, TTFT/ITL at several concurrency levels vs the same server
#     one request at a time (compute/bench/serve_bench.py; target >= 5x at concurrency 32), on a GPT
#     preset checkpoint made here by one trainer step (throughput does not depend on the weights:
#     the bench ignores EOS);
#  3. vLLM on the same Hugging Face model when VLLM_MODEL=<local HF dir> is set and vllm is installed
#     (our server serves the same dir as hf:<dir>; target >= 0.6x vLLM).
# Needs a Python with CUDA PyTorch: PYTHON=... or .venv (scripts/python-env.sh).
# Env: TRAIN_GPUS (1; > 1: FSDP under torchrun), TRAIN_PRESET (gpt-1b), SERVE_PRESET (gpt-350m), TRAIN_MBS (8), CONCURRENCY (1,8,32,64),
# TRAIN_ARGS / SERVE_ARGS (extra bench arguments), RESULTS (bench/results-gpu.json), GPU_NAME (from nvidia-smi).
# Plumbing smoke without a GPU (tests/CI): GPU_NAME=none TRAIN_PRESET=gpt-tiny SERVE_PRESET=gpt-tiny
#   TRAIN_ARGS="--seq-len 64 --warmup 1 --steps 2" SERVE_ARGS="--prompt-len 16 --max-tokens 8 --requests 4"
#   CONCURRENCY=1,2 RESULTS=/tmp/gpu-smoke.json bash bench/gpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
export PYTHONPATH="$PWD/compute/src${PYTHONPATH:+:$PYTHONPATH}"
gpu=${GPU_NAME:-$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n1)}
results=${RESULTS:-bench/results-gpu.json}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
echo "GPU: $gpu"

# FSDP only means something across ranks: with TRAIN_GPUS > 1 the trainer bench runs under torchrun
# with FSDP2, with 1 it is one plain process (the bench's JSON then says strategy "single").
ngpu=${TRAIN_GPUS:-1}
echo "== trainer ($ngpu GPU(s))"
if [ "$ngpu" -gt 1 ]; then
  "$PY" -m torch.distributed.run --standalone --nproc-per-node="$ngpu" compute/bench/train_bench.py \
    --preset "${TRAIN_PRESET:-gpt-1b}" --precision bf16 --compile --micro-batch-size "${TRAIN_MBS:-8}" \
    --strategy fsdp ${TRAIN_ARGS:-} | tee "$work/train.log"
else
  "$PY" compute/bench/train_bench.py --preset "${TRAIN_PRESET:-gpt-1b}" --precision bf16 --compile \
    --micro-batch-size "${TRAIN_MBS:-8}" ${TRAIN_ARGS:-} | tee "$work/train.log"
fi
tail -n1 "$work/train.log" > "$work/train.json"

echo "== server (one-step checkpoint of ${SERVE_PRESET:-gpt-350m})"
"$PY" -m aiinfra.cli train --preset "${SERVE_PRESET:-gpt-350m}" --steps 1 --checkpoint-dir "$work/ckpt" \
  --set data.source=synthetic --micro-batch-size 1 --global-batch-size 1 --metrics-port 0 >/dev/null
"$PY" compute/bench/serve_bench.py --model "$work/ckpt" --precision bf16 --concurrency "${CONCURRENCY:-1,8,32,64}" \
  --prompt-len 256 --max-tokens 128 --requests 64 ${SERVE_ARGS:-} --json "$work/serve.json"

if [ -n "${VLLM_MODEL:-}" ] && "$PY" -c 'import vllm' 2>/dev/null; then
  echo "== vLLM vs builtin on $VLLM_MODEL"
  "$PY" compute/bench/serve_bench.py --model "hf:$VLLM_MODEL" --precision bf16 --concurrency 32 \
    --prompt-len 256 --max-tokens 128 --requests 64 --json "$work/serve-hf.json"
  "$PY" -m vllm.entrypoints.openai.api_server --model "$VLLM_MODEL" --host 127.0.0.1 --port 8100 >"$work/vllm.log" 2>&1 &
  vllm_pid=$!
  for _ in $(seq 1 120); do curl -sf http://127.0.0.1:8100/v1/models >/dev/null && break; sleep 5; done
  "$PY" compute/bench/serve_bench.py --url http://127.0.0.1:8100 --concurrency 32 \
    --prompt-len 256 --max-tokens 128 --requests 64 --json "$work/serve-vllm.json"
  kill "$vllm_pid"; wait "$vllm_pid" 2>/dev/null || true
fi

"$PY" - "$gpu" "$work" "$results" <<'PY'
import json, os, sys
gpu, work, out = sys.argv[1], sys.argv[2], sys.argv[3]
def load(name):
    path = os.path.join(work, name)
    return json.load(open(path)) if os.path.exists(path) else None
results = {"gpu": gpu, "train": load("train.json"), "serve": load("serve.json"),
           "serve_hf": load("serve-hf.json"), "serve_vllm": load("serve-vllm.json")}
with open(out, "w") as f:
    json.dump(results, f, indent=2)
    f.write("\n")
print(json.dumps(results, indent=2))
PY
