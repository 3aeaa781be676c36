#!/usr/bin/env bash
# Installs, once, what a platform repo on CDK Terrain has: `cdktf` as an npm alias of `cdktn` with an override
# (so every package, the providers included, gets that one copy) and `constructs` in the range cdktn accepts,
# plus the same provider, cdk8s, yaml and esbuild (fast synth) versions this repo is tested with. Prints the install's folder on stdout
# (progress on stderr, or live on fd 3 when `scripts/test.sh` runs it). Cached in .tools/cdktn-<version>-<key>,
# keyed by everything in its package.json (a version change installs afresh). Idempotent.
# `cdktn` is also installed under its own name, for the trap fixture of the one-core guard (an app that
# imports 'cdktn' while the library gets 'cdktf'); the examples import only 'cdktf', as users' stacks do.
set -euo pipefail
cd "$(dirname "$0")/../.."

CDKTN_VERSION=${AIINFRA_CDKTN_VERSION:-0.24.0}
CONSTRUCTS_VERSION=${AIINFRA_CDKTN_CONSTRUCTS_VERSION:-10.7.2} # cdktn 0.24 peer range: >=10.6.0 <10.8.0

progress() { { echo "::progress:: cdktn: $*" >&3; } 2>/dev/null || echo "cdktn: $*" >&2; }
installed() { node -p "require('./node_modules/$1/package.json').version"; }

manifest=$(node -r ts-node/register/transpile-only scripts/lib/cdktn-manifest.ts "$CDKTN_VERSION" "$CONSTRUCTS_VERSION" \
  $(for p in @cdktf/provider-aws @cdktf/provider-google @cdktf/provider-azurerm @cdktf/provider-helm @cdktf/provider-docker cdk8s yaml esbuild @types/node; do
      echo "$p" "$(installed "$p")"; done))
key=$(printf '%s' "$manifest" | sha256sum | cut -c1-12)
# In .tools/, not node_modules/.cache: tsc does not emit the JSON files of a project under a node_modules path.
DIR="$PWD/.tools/cdktn-$CDKTN_VERSION-$key"
done_mark="$DIR/.installed"

if [ ! -e "$done_mark" ]; then
  mkdir -p "$DIR"
  exec 9>"$DIR/.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if [ ! -e "$done_mark" ]; then
    rm -rf "$DIR/node_modules" "$DIR/package-lock.json"
    printf '%s' "$manifest" > "$DIR/package.json"
    progress "installing cdktn $CDKTN_VERSION (as the cdktf alias), constructs $CONSTRUCTS_VERSION and the providers into $DIR (about 1 GB; a minute or more on a cold npm cache)"
    start=$SECONDS
    ( cd "$DIR" && npm install --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error >"$DIR/npm-install.log" 2>&1 ) &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      sleep 15
      if kill -0 "$pid" 2>/dev/null; then progress "npm install still running ($((SECONDS - start))s)"; fi
    done
    if ! wait "$pid"; then cat "$DIR/npm-install.log" >&2; echo "cdktn: npm install failed (log above)" >&2; exit 1; fi
    touch "$done_mark"
    progress "installed in $((SECONDS - start))s"
  fi
fi
echo "$DIR"
