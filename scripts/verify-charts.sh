#!/usr/bin/env bash
# Checks the chart lock against the registries (needs network; not part of `npm test`): pulls every chart of
# src/k8s/charts.lock.json with helm (`helm pull <chart> --repo <url> --version <v>`, OCI charts as
# `helm pull oci://<registry>/<chart> --version <v>`), compares the archive's sha256 with the locked digest, and
# pulls the PGP-signed ones with `--verify --keyring <the publisher's key, dearmored>` (Helm fetches the .prov and
# checks the signature and the archive hash in it). Prints a table; exits 1 on any failed pull, digest mismatch or
# failed verification. A null digest is reported with the sha256 pulled (record it in the lock once confirmed).
#   bash scripts/verify-charts.sh [lock.json]      HELM=<path> uses another helm (scripts/tools/helm.sh builds one)
set -euo pipefail
cd "$(dirname "$0")/.."
LOCK=$(realpath "${1:-src/k8s/charts.lock.json}")
HELM=${HELM:-helm}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Helm's repository cache and config stay out of the user's.
export HELM_CACHE_HOME="$work/cache" HELM_CONFIG_HOME="$work/config" HELM_DATA_HOME="$work/data"

# One line per chart: repository, chart, version, digest (or -), keyring (or -); keyrings are written to $work.
# The keyrings come from the library's own dearmor() (src/k8s/chart-lock.ts, loaded through ts-node), as synth writes them.
rows=$(node -r ts-node/register/transpile-only - "$LOCK" "$work" <<'EOF'
const fs = require('fs'); const [lock, work] = process.argv.slice(2);
const { dearmor } = require(`${process.cwd()}/src/k8s/chart-lock`);
for (const [i, e] of JSON.parse(fs.readFileSync(lock, 'utf8')).charts.entries()) {
  let keyring = '-';
  if (typeof e.provenance === 'object') {
    // the armored block of the key module (src/k8s/keys/*.ts)
    const armored = /-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/.exec(fs.readFileSync(e.provenance.key, 'utf8'))[0];
    keyring = `${work}/keyring-${i}.gpg`; fs.writeFileSync(keyring, dearmor(armored));
  }
  console.log([e.repository, e.chart, e.version, e.digest ?? '-', keyring].join('\t'));
}
EOF
)

failed=0
printf '%-40s %-10s %-24s %s\n' CHART VERSION SHA256 SIGNATURE
while IFS=$'\t' read -r repo chart version digest keyring; do
  dest="$work/pull/$chart-$version"; mkdir -p "$dest"
  if [[ $repo == oci://* ]]; then args=("$repo/$chart"); else args=("$chart" --repo "$repo"); fi
  sig=unsigned
  if [[ $keyring != - ]]; then args+=(--verify --keyring "$keyring"); sig=verified; fi
  if ! out=$("$HELM" pull "${args[@]}" --version "$version" -d "$dest" 2>&1); then
    printf '%-40s %-10s %-24s %s\n' "$chart" "$version" "PULL FAILED" "$(tail -1 <<<"$out")"; failed=1; continue
  fi
  sha=$(sha256sum "$dest"/*.tgz | cut -d' ' -f1)
  if [[ $digest == - ]]; then state="not locked: ${sha:0:12}"
  elif [[ $sha == "$digest" ]]; then state=match
  else state="MISMATCH: ${sha:0:12}"; failed=1; fi
  printf '%-40s %-10s %-24s %s\n' "$chart" "$version" "$state" "$sig"
done <<<"$rows"
exit "$failed"
