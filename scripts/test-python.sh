#!/usr/bin/env bash
# Run the compute/ test suite: set up .venv (scripts/python-env.sh), then pytest.
# Extra arguments are passed to pytest, e.g. scripts/test-python.sh -k checkpoint -x
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/python-env.sh"
cd "$ROOT"
exec "${AIINFRA_VENV:-$ROOT/.venv}/bin/python" -m pytest compute/tests -q "$@"
