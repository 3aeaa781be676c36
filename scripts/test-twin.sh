#!/usr/bin/env bash
# The digital twin (test/twin, its own jest config; not yet run by scripts/test.sh, see test/twin/README.md): every example platform on a real control plane (etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler), kwok nodes made from its Terraform node pools, the real
# Kueue controller with its webhooks on loopback; asserts that training jobs are admitted and placed, endpoints
# spread, quotas and Pod Security hold (test/twin/README.md). The binaries are built once by
# scripts/tools/kube-twin.sh (Go, and Debian's etcd-server via apt-get download; AIINFRA_TWIN_DIR=<dir> uses
# another build); needs kubectl and openssl on PATH. Fails, never skips.
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
exec npx --no-install jest -c jest.twin.config.js --ci --forceExit
