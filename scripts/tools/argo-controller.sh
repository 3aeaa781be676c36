#!/usr/bin/env bash
# Builds Argo Workflows' workflow controller (cmd/workflow-controller) once from its Go module and caches it in
# .tools/argo-workflow-controller-<version>/workflow-controller; prints that path on stdout (progress on stderr).
# A test tool only: the digital twin (test/twin/pipeline-run.test.ts) runs it against the twin's API server to run
# a pipeline's WorkflowTemplate. The cluster runs the chart pinned in src/k8s/charts.ts (app v4.0.6), not this
# version (v4.0.5 is the only v4 the Go proxy serves here; advisories are reported against it, so it is never
# deployed). Same module and version as the CLI (scripts/tools/argo.sh).
# Idempotent and safe to run from two lanes at once (a lock); a second run is instant.
# `go build` inside the downloaded module directory, not `go install ...@version`: the module's go.mod has
# replace directives, which `go install` refuses. The controller embeds no UI, so the read-only module directory
# builds as it is.
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=${AIINFRA_ARGO_VERSION:-v4.0.5}
DIR="$PWD/.tools/argo-workflow-controller-$VERSION"
BIN="$DIR/workflow-controller"
installed() {
  local out
  [ -x "$BIN" ] && out=$("$BIN" version --short 2>/dev/null) && grep -q "${VERSION}" <<<"$out"
}

if ! installed; then
  mkdir -p "$DIR"
  exec 9>"$DIR/.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if ! installed; then
    command -v go >/dev/null 2>&1 || { echo "argo-controller: building the Argo Workflows controller needs Go (https://go.dev/dl/) on PATH" >&2; exit 1; }
    start=$SECONDS
    echo "argo-controller: downloading the Argo Workflows $VERSION module" >&2
    src=$(go mod download -json "github.com/argoproj/argo-workflows/v4@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
    [ -n "$src" ] && [ -d "$src/cmd/workflow-controller" ] || { echo "argo-controller: go mod download gave no module directory for $VERSION" >&2; exit 1; }
    echo "argo-controller: building cmd/workflow-controller (several minutes on a cold Go cache)" >&2
    # The version the controller reports comes from ldflags in Argo's Makefile.
    ( cd "$src" && CGO_ENABLED=0 nice -n 5 go build -mod=readonly -trimpath \
        -ldflags "-s -w -X github.com/argoproj/argo-workflows/v4.version=${VERSION}" -o "$BIN.tmp.$$" ./cmd/workflow-controller )
    mv "$BIN.tmp.$$" "$BIN"
    installed || { echo "argo-controller: the built binary does not report $VERSION" >&2; exit 1; }
    echo "argo-controller: built the Argo Workflows controller $VERSION in $((SECONDS - start))s" >&2
  fi
fi
echo "$BIN"
