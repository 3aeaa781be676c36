#!/usr/bin/env bash
# Builds scripts/tools/argo-events-params (Argo Events v1.9.10's trigger parameter code, from its Go module) once and
# prints the binary's path. A test tool only (test/system/sensor-params.test.ts). AIINFRA_TOOLS_DIR: where to cache it.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR="${AIINFRA_TOOLS_DIR:-$PWD/.tools}/argo-events-params-v1.9.10"
BIN="$DIR/argo-events-params"
SRC="$PWD/scripts/tools/argo-events-params"
if [ ! -x "$BIN" ] || [ "$SRC/main.go" -nt "$BIN" ]; then
  command -v go >/dev/null 2>&1 || { echo "argo-events-params: needs Go (https://go.dev/dl/) on PATH" >&2; exit 1; }
  mkdir -p "$DIR"
  echo "argo-events-params: building against github.com/argoproj/argo-events v1.9.10" >&2
  (cd "$SRC" && go build -o "$BIN.tmp" . && mv "$BIN.tmp" "$BIN")
fi
echo "$BIN"
