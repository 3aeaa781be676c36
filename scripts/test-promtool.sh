#!/usr/bin/env bash
# Alert rules of MonitoringStack under promtool: renders the typed rules (src/monitoring/rules) for the profile
# in test/monitoring/promtool/profile.json, runs `promtool check rules` on them (and on every Grafana dashboard
# query), checks that promtool rejects a broken rule, runs `promtool test rules` on
# test/monitoring/promtool/*.test.yaml and fails when an alert lacks a case that fires it or one that stays silent.
# Installs promtool when missing (Debian's `prometheus` package ships it; no pip or npm package does, so there is
# no other fallback). Idempotent; quiet on success.
set -euo pipefail
cd "$(dirname "$0")/.."

install_promtool() {
  command -v promtool >/dev/null 2>&1 && return 0
  if command -v apt-get >/dev/null 2>&1; then
    local sudo=() log
    [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
    log=$(mktemp)
    echo "promtool: installing Debian package 'prometheus' (ships promtool)"
    # Wait for another apt/dpkg run to release its locks instead of failing at once.
    if ${sudo[@]+"${sudo[@]}"} apt-get -o DPkg::Lock::Timeout=300 update -qq >"$log" 2>&1 \
      && ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
        --no-install-recommends prometheus >>"$log" 2>&1; then
      rm -f "$log"
      command -v promtool >/dev/null 2>&1 && return 0
    else
      cat "$log" >&2
      rm -f "$log"
    fi
  fi
  echo "promtool: not found and could not be installed. Install it (Debian/Ubuntu: apt-get install prometheus;" >&2
  echo "or the 'promtool' binary from a Prometheus release tarball) and put it on PATH." >&2
  return 1
}
install_promtool

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Compile only the rules module and what it imports (independent of the rest of the tree).
node_modules/.bin/tsc --outDir "$work/build" --rootDir . --module commonjs --target es2022 --moduleResolution node \
  --esModuleInterop --skipLibCheck --strict --types node src/monitoring/rules/index.ts

NODE_PATH="$PWD/node_modules" node -r ts-node/register/transpile-only scripts/lib/promtool-render.ts "$work"

promtool check rules --lint-fatal "$work/rules.yaml" >/dev/null
# The PrometheusRules of the synthesized example stacks (`npm run synth` runs first in `npm test`), when present.
NODE_PATH="$PWD/node_modules" node -r ts-node/register/transpile-only scripts/lib/promtool-example-rules.ts "$work"
if [ "$(cat "$work/example-rules.count")" -gt 0 ]; then
  for f in "$work"/example-rules-*.yaml; do
    promtool check rules --lint-fatal "$f" >/dev/null 2>&1 || { promtool check rules --lint-fatal "$f" >&2; exit 1; }
  done
  echo "promtool: $(cat "$work/example-rules.count") PrometheusRules of the synthesized stacks pass check rules"
fi
promtool check rules "$work/dashboards.yaml" >/dev/null || { echo "a dashboard query is not valid PromQL" >&2; promtool check rules "$work/dashboards.yaml" >&2; exit 1; }
if promtool check rules "$work/bad-rules.yaml" >/dev/null 2>&1; then
  echo "promtool accepted a broken rule file: the check is not working" >&2
  exit 1
fi

cp test/monitoring/promtool/*.test.yaml "$work/"
tests=()
for f in test/monitoring/promtool/*.test.yaml; do tests+=("$work/$(basename "$f")"); done
( cd "$work" && promtool test rules "${tests[@]##*/}" ) > "$work/test.log" 2>&1 || { cat "$work/test.log" >&2; exit 1; }

# Every alert has a test case that fires it and one that expects silence.
NODE_PATH="$PWD/node_modules" node -r ts-node/register/transpile-only scripts/lib/promtool-coverage.ts "$work"
