#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it on a fresh machine: it installs what it needs itself
# (Python venv for compute/, promtool, checkov, kube-score, OpenTofu, a CDK Terrain install) and runs every check. Each step is timed;
# the times land in cdktf.out/test-timings.json (read by `npm run bench`), with `total` = wall time.
#
# The steps run in two lanes side by side (each lane keeps about one core busy; the machines we test on
# have two), balanced by their times: lane 1 is tofu (build OpenTofu once; cached) -> kube-tools (kube-apiserver + etcd for the system step; cached) -> argo-tools (the argo CLI; cached) -> typecheck -> lint -> python
# -> twin (the digital twin of every example stack, test/twin/README.md: its stacks in parallel),
# lane 2 is twin-tools (the twin's controllers, kwok and Kueue; cached) -> synth -> jest -> cdktn (the examples on
# CDK Terrain), checkov, kube, promtool (they read the synth output) -> system (real Terraform and OpenTofu on every
# stack jest synthesized). A step's output is printed in one piece when it ends; a failed step stops its lane, the other lane runs to its end, and the run fails naming every
# failed step. AIINFRA_TEST_SERIAL=1 runs the same steps one after another.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
export NODE_OPTIONS="${NODE_OPTIONS:-} --max-old-space-size=4096"

logs=$(mktemp -d)
lane_pids=()
cleanup() {
  local pid
  for pid in ${lane_pids[@]+"${lane_pids[@]}"}; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  rm -rf "$logs"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# step NAME COMMAND...: runs COMMAND with its output in a log, then prints the log in one piece (the lanes
# never interleave within a step) and records the step's time.
step() {
  local name=$1; shift
  local start rc=0 secs
  start=$(now)
  echo "::start:: ${name}"
  # fd 3 stays this script's stdout: a long step prints live progress lines there (scripts/tools/cdktn-install.sh)
  "$@" </dev/null 3>&1 >"$logs/$name.log" 2>&1 || rc=$?
  secs=$(since "$start")
  {
    if command -v flock >/dev/null 2>&1; then flock 8; fi
    echo "::group:: ${name}"
    cat "$logs/$name.log"
    if [ "$rc" -eq 0 ]; then
      echo "::endgroup:: ${name} (${secs}s)"
    else
      echo "::endgroup:: ${name} FAILED (exit ${rc}, ${secs}s)"
    fi
  } 8>>"$logs/.print.lock"
  if [ "$rc" -eq 0 ]; then echo "\"${name}\": ${secs}" > "$logs/$name.time"; else echo "$name" >> "$logs/failed"; fi
  return "$rc"
}

# Caches of the quick checks between runs (tsc's build info; eslint's results by file content and config).
# Under node_modules/, so `npm ci` starts them afresh.
cache=node_modules/.cache/aiinfra-test
mkdir -p "$cache"
# Every stack the jest suite synthesizes is recorded here (test/setup/collect-synth.ts) for the real-tool tier
# (scripts/test-system.sh: terraform init and the reference check on each); emptied each run.
export AIINFRA_SYNTH_COLLECT="$PWD/$cache/synthesized"
rm -rf "$AIINFRA_SYNTH_COLLECT"

# Lane 1: the quick checks, then the Python suite (the longest step).
lane_1() {
  # Started first so that a cold build (minutes) runs beside lane 2; the system step waits on its lock if needed.
  step tofu bash scripts/tools/tofu.sh || return
  # kube-apiserver and etcd for the system step's RBAC/admission tests (a cold Go build takes many minutes: it
  # runs here, beside lane 2's jest; the system step waits on the build's lock if it is not done).
  step kube-tools bash scripts/tools/kube-twin.sh apiserver || return
  # The argo CLI (argo lint on the model pipelines' templates in the system step): a cold Go build, cached.
  step argo-tools bash scripts/tools/argo.sh || return
  # Argo Events' trigger parameter code (the new-data Sensor's debounce in the system step): a Go build, cached.
  step argo-events-tools bash scripts/tools/argo-events-params.sh || return
  step typecheck npx --no-install tsc --noEmit -p tsconfig.json --incremental --tsBuildInfoFile "$cache/typecheck.tsbuildinfo" || return
  step lint npx --no-install eslint --max-warnings 0 --cache --cache-strategy content --cache-location "$cache/eslint" src examples test bench scripts || return
  if [ -e scripts/test-python.sh ]; then step python bash scripts/test-python.sh || return; fi
  # Last here: lane 1 ends its warm run minutes before lane 2, and the twin's stacks (two at a time) then share the
  # machine with lane 2's last steps only. Its binaries come from lane 2's first step.
  step twin bash scripts/test-twin.sh || return
}

# Lane 2: the twin's binaries, synth, jest, then the checks that read the synth output (scripts/test-*.sh but
# python and twin, which are lane 1's).
lane_2() {
  # First: on a cold machine the Go builds of kwok, Kueue, kube-controller-manager and kube-scheduler (tens of
  # minutes) run beside lane 1's builds, not after them; kube-apiserver is lane 1's kube-tools (one lock per part,
  # scripts/tools/kube-twin.sh). Cached: well under a second.
  step twin-tools bash scripts/tools/kube-twin.sh || return
  step synth npm run --silent synth || return
  step jest npx --no-install jest --ci || return
  local extra name
  for extra in scripts/test-*.sh; do
    [ -e "$extra" ] && [ "$extra" != scripts/test-python.sh ] && [ "$extra" != scripts/test-twin.sh ] || continue
    name=$(basename "$extra" .sh); name=${name#test-}
    step "$name" bash "$extra" || return
  done
}

start=$(now)
# The Python venv first: jest's tests of the drill script and the trainer config run against it.
step python-env bash scripts/python-env.sh
if [ "${AIINFRA_TEST_SERIAL:-}" = 1 ]; then
  lane_1 || true
  [ -e "$logs/failed" ] || lane_2 || true
else
  # Each lane in its own process group, so that an interrupt stops it whole (cleanup).
  set -m
  lane_1 & lane_pids+=($!)
  lane_2 & lane_pids+=($!)
  set +m
  for pid in "${lane_pids[@]}"; do wait "$pid" || true; done
  lane_pids=()
fi
total=$(since "$start")

if [ -e "$logs/failed" ]; then
  echo "test steps failed: $(paste -sd' ' "$logs/failed")" >&2
  exit 1
fi
# The steps in a fixed order (then any other), then the wall time of the whole run.
timings=()
for name in python-env tofu kube-tools argo-tools argo-events-tools twin-tools typecheck lint synth jest cdktn checkov kube promtool system python twin; do
  if [ -e "$logs/$name.time" ]; then timings+=("$(cat "$logs/$name.time")"); rm "$logs/$name.time"; fi
done
for f in "$logs"/*.time; do
  if [ -e "$f" ]; then timings+=("$(cat "$f")"); fi
done
timings+=("\"total\": ${total}")
mkdir -p cdktf.out
( IFS=,; echo "{${timings[*]}}" ) > cdktf.out/test-timings.json
echo "all test steps passed: $(cat cdktf.out/test-timings.json)"
