#!/usr/bin/env bash
# Builds OpenTofu's `tofu` once and caches it in .tools/tofu-<version>/tofu; prints that path on stdout
# (progress goes to stderr). Idempotent and safe to run from two lanes at once (a lock); a second run is
# instant. AIINFRA_TOFU_VERSION=<v1.x.y> builds another version.
# Why not `go install github.com/opentofu/opentofu/cmd/tofu@...`: Go refuses it because OpenTofu's go.mod
# has replace directives. `go build ./cmd/tofu` inside the downloaded module directory honours them.
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=${AIINFRA_TOFU_VERSION:-v1.12.6}
DIR="$PWD/.tools/tofu-$VERSION"
BIN="$DIR/tofu"
# `tofu version` prints CLI-configuration warnings first when TF_CLI_CONFIG_FILE names a missing file.
# Its output is read whole before matching: `tofu version | grep -q` under pipefail fails at random when grep
# exits on the first line and tofu dies of SIGPIPE writing the second (this failed a CI run).
installed() {
  local out
  [ -x "$BIN" ] && out=$("$BIN" version 2>/dev/null) && grep -qx "OpenTofu ${VERSION}" <<<"$out"
}

if ! installed; then
  mkdir -p "$DIR"
  exec 9>"$DIR/.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if ! installed; then
    command -v go >/dev/null 2>&1 || { echo "tofu: building OpenTofu needs Go (https://go.dev/dl/) on PATH" >&2; exit 1; }
    start=$SECONDS
    echo "tofu: downloading the OpenTofu $VERSION module" >&2
    src=$(go mod download -json "github.com/opentofu/opentofu@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
    [ -n "$src" ] && [ -d "$src/cmd/tofu" ] || { echo "tofu: go mod download gave no module directory for $VERSION" >&2; exit 1; }
    echo "tofu: building cmd/tofu in $src (several minutes on a cold Go cache; dependencies download first)" >&2
    # The flags of OpenTofu's release build (.goreleaser.yaml): without version.dev=no it reports "-dev".
    # The module cache is read-only: write the binary to a temporary name, then move it into place.
    ( cd "$src" && CGO_ENABLED=0 go build -mod=readonly -trimpath \
        -ldflags "-s -w -X 'github.com/opentofu/opentofu/version.dev=no'" -o "$BIN.tmp.$$" ./cmd/tofu )
    mv "$BIN.tmp.$$" "$BIN"
    installed || { echo "tofu: the built binary does not report OpenTofu $VERSION" >&2; exit 1; }
    echo "tofu: built OpenTofu $VERSION in $((SECONDS - start))s" >&2
  fi
fi
echo "$BIN"
