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
if [ ! -x "$BIN" ] || [ "$(cat .tools/kube-score.version 2>/dev/null || true)" != "$VERSION" ]; then
  echo "installing kube-score $VERSION into .tools/"
  mkdir -p .tools
  GOBIN="$PWD/.tools" GOFLAGS=-mod=mod go install "github.com/zegl/kube-score/cmd/kube-score@$VERSION"
  echo "$VERSION" > .tools/kube-score.version
fi

args=(score --output-format ci --exit-one-on-warning)
while read -r test; do args+=(--ignore-test "$test"); done < <(awk '/^ignore-tests:/ { on = 1; next } /^[^ #]/ { on = 0 } on && /^  - / { print $2 }' .kube-score.yaml)
grep -q '^ignore-container-cpu-limit: true' .kube-score.yaml && args+=(--ignore-container-cpu-limit)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" "${KUBE_MANIFESTS_DIR:-cdktf.out}" <<'PY'
import glob, hashlib, os, re, sys
work, base = sys.argv[1], sys.argv[2]
placeholder = re.compile(r"\{\{ \.Values\.tf\.(v\d+) \| toJson \}\}")
seen = set()
charts = sorted(glob.glob(f"{base}/charts/*/*/Chart.yaml")) + sorted(glob.glob(f"{base}/stacks/*/assets/*/*/Chart.yaml"))
for chart in charts:
    root = os.path.dirname(chart)
    # <base>/charts/<stack>/<release> or <base>/stacks/<stack>/assets/<id>/<hash>
    stack = os.path.relpath(root, base).split(os.sep)[1]
    for template in sorted(glob.glob(os.path.join(root, "templates", "*.yaml"))):
        text = open(template).read()
        text = placeholder.sub(lambda m: f'"tf-placeholder-{m.group(1)}"', text)
        text = text.replace('{{ "{{" }}', "{{").replace('{{ "}}" }}', "}}")
        digest = hashlib.sha256((stack + "\0" + text).encode()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        out = os.path.join(work, stack)
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, f"{len(seen):04d}-{os.path.basename(template)}"), "w") as f:
            f.write(text)
PY

status=0
found=0
for dir in "$work"/*/; do
  [ -d "$dir" ] || continue
  stack=$(basename "$dir")
  files=("$dir"*.yaml)
  found=$((found + ${#files[@]}))
  echo "kube-score: $stack (${#files[@]} manifests)"
  if ! out=$("$BIN" "${args[@]}" "${files[@]}" 2>&1); then status=1; fi
  echo "$out" | grep -E '^\[(CRITICAL|WARNING)\]' || true
  echo "  $(echo "$out" | grep -c '^\[OK\]') ok, $(echo "$out" | grep -c '^\[WARNING\]') warning, $(echo "$out" | grep -c '^\[CRITICAL\]') critical"
done
if [ "$found" -eq 0 ]; then
  echo "kube-score: no rendered manifests under cdktf.out (the example stacks deliver no KubernetesWorkload charts)"
fi
exit $status
