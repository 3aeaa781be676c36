#!/usr/bin/env bash
# Lints every Kubernetes manifest the synthesized stacks ship (the Helm charts our KubernetesWorkloads write to
# cdktf.out/charts/<stack>/<release>/ and into each stack's assets) with kube-score, pinned and installed with
# `go install` into .tools/ (idempotent, fast when present). Helm placeholders that Terraform fills at apply
# time (`{{ .Values.tf.vN | toJson }}`) are rendered as plain strings first, so the files are plain YAML.
# All manifests of one stack are scored together (a NetworkPolicy in a tenant chart covers a Job in another).
# Exclusions and their reasons: .kube-score.yaml. Exits non-zero on any warning or critical finding.
# KUBE_MANIFESTS_DIR=<dir> lints another synth output directory.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=$(awk '/^version:/ { print $2 }' .kube-score.yaml)
BIN=.tools/kube-score
installed() { [ -x "$BIN" ] && [ "$(cat .tools/kube-score.version 2>/dev/null || true)" = "$VERSION" ]; }
if ! installed; then
  mkdir -p .tools
  exec 9>.tools/.kube-score-lock
  command -v flock >/dev/null 2>&1 && flock 9
  if ! installed; then
    echo "installing kube-score $VERSION into .tools/"
    GOBIN="$PWD/.tools" GOFLAGS=-mod=mod go install "github.com/zegl/kube-score/cmd/kube-score@$VERSION"
    echo "$VERSION" > .tools/kube-score.version
  fi
fi

dirs=("${KUBE_MANIFESTS_DIR:-cdktf.out}")
# The two-stack example (its workloads stack runs a TrainingJob) is not part of `npm run synth`: synthesize it
# from the compiled examples into a scratch directory and lint its charts too.
extra=$(mktemp -d)
trap 'rm -rf "$extra"' EXIT
if [ -z "${KUBE_MANIFESTS_DIR:-}" ] && [ -f lib/examples/two-stack/main.js ]; then
  if ! CDKTF_OUTDIR="$extra/cdktf.out" CHECKPOINT_DISABLE=1 node lib/examples/two-stack/main.js > "$extra/synth.log" 2>&1; then
    echo "the two-stack example does not synthesize:" >&2; tail -20 "$extra/synth.log" >&2; exit 1
  fi
  dirs+=("$extra/cdktf.out")
fi

python3 scripts/lib/kube_score.py "$BIN" "${dirs[@]}"
