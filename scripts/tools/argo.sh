#!/usr/bin/env bash
# Builds a binary of Argo Workflows once from its Go module and caches it; prints its path on stdout (progress on
# stderr). Test tools only: the cluster runs the chart pinned in src/k8s/charts.ts (app v4.0.6), not this version
# (v4.0.5 is the only v4 the Go proxy serves here; advisories are reported against it, so it is never deployed).
#   scripts/tools/argo.sh             the `argo` CLI, .tools/argo-<version>/argo (`argo lint --offline` on the
#                                     rendered WorkflowTemplates and CronWorkflows, test/system/argo-lint.test.ts)
#   scripts/tools/argo.sh controller  the workflow controller, .tools/argo-workflow-controller-<version>/workflow-controller
#                                     (the digital twin runs a pipeline with it, test/twin/pipeline-run.test.ts)
# Idempotent and safe to run from two lanes at once (a lock); a second run is instant.
# `go build` inside the downloaded module directory, not `go install ...@version`: the module's go.mod has
# replace directives, which `go install` refuses.
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=${AIINFRA_ARGO_VERSION:-v4.0.5}
case "${1:-cli}" in
  cli) NAME=argo; DIR="$PWD/.tools/argo-$VERSION"; CMD=argo; WHAT="Argo Workflows CLI" ;;
  controller) NAME=argo-controller; DIR="$PWD/.tools/argo-workflow-controller-$VERSION"; CMD=workflow-controller; WHAT="Argo Workflows controller" ;;
  *) echo "argo: usage: scripts/tools/argo.sh [cli|controller]" >&2; exit 2 ;;
esac
BIN="$DIR/$CMD"
installed() {
  local out
  [ -x "$BIN" ] && out=$("$BIN" version --short 2>/dev/null) && grep -q "${VERSION}" <<<"$out"
}

if ! installed; then
  mkdir -p "$DIR"
  exec 9>"$DIR/.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if ! installed; then
    command -v go >/dev/null 2>&1 || { echo "$NAME: building the $WHAT needs Go (https://go.dev/dl/) on PATH" >&2; exit 1; }
    start=$SECONDS
    echo "$NAME: downloading the Argo Workflows $VERSION module" >&2
    src=$(go mod download -json "github.com/argoproj/argo-workflows/v4@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
    [ -n "$src" ] && [ -d "$src/cmd/$CMD" ] || { echo "$NAME: go mod download gave no module directory for $VERSION" >&2; exit 1; }
    work=$src
    if [ "$CMD" = argo ]; then
      # The CLI embeds the UI (ui/embed.go: `//go:embed dist/app`), which the module does not ship; Argo's Makefile
      # writes a placeholder page when built without the UI. The module cache is read-only, so the build runs on a
      # writable copy with that placeholder (the CLI's lint never serves the UI). The controller embeds no UI.
      work="$DIR/src.$$"
      rm -rf "$work"; cp -r "$src" "$work"; chmod -R u+w "$work"
      mkdir -p "$work/ui/dist/app"
      echo "Built without static files" >"$work/ui/dist/app/index.html"
    fi
    echo "$NAME: building cmd/$CMD (several minutes on a cold Go cache)" >&2
    # The version the binary reports comes from ldflags in Argo's Makefile.
    ( cd "$work" && CGO_ENABLED=0 nice -n 5 go build -mod=readonly -trimpath \
        -ldflags "-s -w -X github.com/argoproj/argo-workflows/v4.version=${VERSION}" -o "$BIN.tmp.$$" "./cmd/$CMD" )
    [ "$work" = "$src" ] || rm -rf "$work"
    mv "$BIN.tmp.$$" "$BIN"
    installed || { echo "$NAME: the built binary does not report $VERSION" >&2; exit 1; }
    echo "$NAME: built the $WHAT $VERSION in $((SECONDS - start))s" >&2
  fi
fi
echo "$BIN"
