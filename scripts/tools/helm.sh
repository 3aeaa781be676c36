#!/usr/bin/env bash
# Builds Helm's `helm` once from its Go module and caches it in .tools/helm-<version>/helm; prints that path on stdout
# (progress on stderr). For scripts/verify-charts.sh and its test (test/system/verify-charts.test.ts). Idempotent and
# safe to run from two lanes at once (a lock); a second run is instant. AIINFRA_HELM_VERSION=<v3.x.y> builds another.
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=${AIINFRA_HELM_VERSION:-v3.21.4}
DIR="$PWD/.tools/helm-$VERSION"
BIN="$DIR/helm"
installed() {
  local out
  [ -x "$BIN" ] && out=$("$BIN" version --template '{{.Version}}' 2>/dev/null) && [ "$out" = "$VERSION" ]
}

if ! installed; then
  mkdir -p "$DIR"
  exec 9>"$DIR/.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if ! installed; then
    command -v go >/dev/null 2>&1 || { echo "helm: building Helm needs Go (https://go.dev/dl/) on PATH" >&2; exit 1; }
    start=$SECONDS
    echo "helm: building helm.sh/helm/v3/cmd/helm@$VERSION (about a minute on a cold Go cache)" >&2
    # The version flag of Helm's Makefile: without it the binary reports only "v3.21".
    GOBIN="$DIR/.build" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$VERSION" \
      "helm.sh/helm/v3/cmd/helm@$VERSION"
    mv "$DIR/.build/helm" "$BIN"
    installed || { echo "helm: the built binary does not report $VERSION" >&2; exit 1; }
    echo "helm: built Helm $VERSION in $((SECONDS - start))s" >&2
  fi
fi
echo "$BIN"
