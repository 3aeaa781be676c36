#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it on a fresh machine: it installs what it needs itself
# (Python venv for compute/, promtool, checkov, kube-linter) and runs every check. Each step is timed;
# the times land in cdktf.out/test-timings.json (read by `npm run bench`).
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
export NODE_OPTIONS="${NODE_OPTIONS:-} --max-old-space-size=4096"

timings=()
step() {
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  echo "::group:: ${name}"
  "$@"
  end=$(date +%s.%N)
  local secs
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  timings+=("\"${name}\": ${secs}")
  echo "::endgroup:: ${name} (${secs}s)"
}

step typecheck npx --no-install tsc --noEmit -p tsconfig.json
step lint npx --no-install eslint --max-warnings 0 src examples test bench
step synth npm run --silent synth
step jest npx --no-install jest --ci
for extra in scripts/test-*.sh; do
  [ -e "$extra" ] || continue
  name=$(basename "$extra" .sh); name=${name#test-}
  step "$name" bash "$extra"
done

mkdir -p cdktf.out
( IFS=,; echo "{${timings[*]}}" ) > cdktf.out/test-timings.json
echo "all test steps passed: $(cat cdktf.out/test-timings.json)"
