#!/usr/bin/env bash
# The digital twin (test/twin, its own jest config; a step of `npm test`, scripts/test.sh): every example stack on a
# real control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler), kwok nodes made from its
# Terraform node pools, the real Kueue controller with its webhooks on loopback; asserts that training jobs are
# admitted and placed, endpoints spread and roll, quotas and Pod Security hold (test/twin/README.md). One jest test
# file per stack, run in parallel (jest.twin.config.js); arguments go to jest (a file, -t, --maxWorkers). The binaries
# are built once by scripts/tools/kube-twin.sh (Go, and Debian's etcd-server via apt-get download;
# AIINFRA_TWIN_DIR=<dir> uses another build); needs kubectl and openssl on PATH. Fails, never skips; a failure ends
# with one line per failed check naming its stack.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
for tool in "${AIINFRA_KUBECTL:-kubectl}" openssl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "test-twin: $tool is not on PATH (kubectl: https://kubernetes.io/docs/tasks/tools/; openssl: apt-get install openssl)" >&2
    exit 1
  fi
done
AIINFRA_TWIN_DIR=${AIINFRA_TWIN_DIR:-$(bash scripts/tools/kube-twin.sh)}
export AIINFRA_TWIN_DIR
echo "test-twin: binaries in $AIINFRA_TWIN_DIR; $("${AIINFRA_KUBECTL:-kubectl}" version --client 2>/dev/null | head -1)"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
rc=0
npx --no-install jest -c jest.twin.config.js --ci --forceExit --json --outputFile="$results" "$@" || rc=$?
if [ "$rc" -ne 0 ] && [ ! -s "$results" ]; then
  echo "test-twin: jest exited $rc and left no results (see its output above)"
elif [ "$rc" -ne 0 ]; then
  # The failed checks, each with its stack (the describe block: `twin of examples/platform (platform-gcp)`).
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const f of r.testResults) {
      const why = (f.message || "").split("\n").map((l) => l.trim()).filter((l) => l && !/^● Test suite failed to run$/.test(l))[0];
      if (f.status === "failed" && f.assertionResults.every((a) => a.status !== "failed")) console.log(`test-twin: FAILED ${require("path").relative(".", f.name)}: ${why || "no test ran"}`);
      for (const a of f.assertionResults.filter((x) => x.status === "failed")) console.log(`test-twin: FAILED ${a.ancestorTitles.join(" > ")} > ${a.title}`);
    }' "$results"
fi
exit "$rc"
