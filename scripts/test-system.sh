#!/usr/bin/env bash
# The real-tool tier (test/system, its own jest config): real `terraform init -backend=false` and the reference
# check on every example and on every stack the jest suite synthesized (AIINFRA_SYNTH_COLLECT, set by
# scripts/test.sh), and the cross-stack apply/plan made of Terraform's builtin parts, each under Terraform and
# OpenTofu (test/system/terraform.ts engines()); and tenant isolation on a real kube-apiserver (test/system/tenant-rbac:
# `kubectl auth can-i --as` over a matrix of verbs x resources x tenants, and the ServiceAccount admission policy),
# with the binaries of scripts/tools/kube-twin.sh (built once; AIINFRA_TWIN_DIR=<dir> uses another build) and kubectl;
# and the model pipelines' Argo objects under `argo lint --offline` (scripts/tools/argo.sh; AIINFRA_ARGO_BINARY=<path>)
# and on that kube-apiserver with Argo's and Flagger's CRDs (from their Go modules); and scripts/verify-charts.sh (the
# chart lock) against a local chart repository with a signed and a tampered fixture chart (scripts/tools/helm.sh; needs gpg).
# Needs `terraform` on PATH (it is in the machine image) and builds `tofu` once (scripts/tools/tofu.sh, needs Go;
# AIINFRA_TOFU_BINARY=<path> uses another); fails, never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
if ! command -v "${TERRAFORM_BINARY_NAME:-terraform}" >/dev/null 2>&1; then
  echo "test-system: Terraform is not on PATH (expected /usr/local/bin/terraform from the machine image); install it: https://developer.hashicorp.com/terraform/install" >&2
  exit 1
fi
AIINFRA_TOFU_BINARY=${AIINFRA_TOFU_BINARY:-$(bash scripts/tools/tofu.sh)}
export AIINFRA_TOFU_BINARY
echo "test-system: $("${TERRAFORM_BINARY_NAME:-terraform}" version | head -1), $(TF_CLI_CONFIG_FILE=/dev/null "$AIINFRA_TOFU_BINARY" version | head -1); stacks recorded by jest: $(ls "${AIINFRA_SYNTH_COLLECT:-/nonexistent}" 2>/dev/null | grep -c '\.tf\.json$' || true)"
exec npx --no-install jest -c jest.system.config.js --ci
