#!/usr/bin/env bash
# checkov over every synthesized stack (cdktf.out/stacks/*/cdk.tf.json, framework terraform_json), and over the
# two-stack example synthesized from lib/ into a scratch directory.
# - Installs a pinned checkov into .venv-tools (a tools virtualenv, apart from the compute .venv so their
#   dependencies never clash); idempotent and fast when already there.
# - Scans a copy of each stack without `terraform.required_version`: checkov's terraform_json parser fails on
#   the whole file when that key is present (JSONDecodeError in create_definitions).
# - checkov reads no skip comments from Terraform JSON (bridgecrewio/checkov#4634), so the deliberate skips
#   live in the synthesized JSON itself: `"//": { "checkov": { "skip": [{ "id": ..., "comment": ... }] } }` on
#   the resource (written by Policy.skipCheckov, suppressed policy rules and the pack's CHECKOV_EXEMPTIONS).
#   examples/ci/checkov-scan.py (also used by the user pipeline) applies exactly those skips; a skip without a
#   reason is an error.
# - Exits non-zero on any failed check that no skip covers, or on a parse error.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION=3.2.530
VENV=.venv-tools

installed() { [ "$("$VENV/bin/checkov" --version 2>/dev/null || true)" = "$CHECKOV_VERSION" ]; }
if ! installed; then
  mkdir -p .tools
  exec 9>.tools/.checkov-install.lock
  command -v flock >/dev/null 2>&1 && flock 9
  if ! installed; then
    echo "installing checkov $CHECKOV_VERSION into $VENV"
    "$VENV/bin/python" -c '' 2>/dev/null || python3 -m venv --clear "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
  fi
fi

shopt -s nullglob
stacks=(cdktf.out/stacks/*/cdk.tf.json)
if [ ${#stacks[@]} -eq 0 ]; then
  echo "no synthesized stacks under cdktf.out/stacks: run 'npm run synth' first" >&2
  exit 1
fi
# The two-stack example (infra + workloads) is not part of `npm run synth`: synthesize it from the compiled
# examples into a scratch directory and scan it too.
extra=$(mktemp -d)
trap 'rm -rf "$extra"' EXIT
if [ -f lib/examples/two-stack/main.js ]; then
  if ! CDKTF_OUTDIR="$extra/cdktf.out" CHECKPOINT_DISABLE=1 node lib/examples/two-stack/main.js > "$extra/synth.log" 2>&1; then
    echo "the two-stack example does not synthesize:" >&2; tail -20 "$extra/synth.log" >&2; exit 1
  fi
  stacks+=("$extra"/cdktf.out/stacks/*/cdk.tf.json)
fi

"$VENV/bin/python" examples/ci/checkov-scan.py "$VENV/bin/checkov" "${stacks[@]}"
