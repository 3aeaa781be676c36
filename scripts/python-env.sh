#!/usr/bin/env bash
# Create (or refresh) the Python virtualenv for compute/ at <repo>/.venv and install
# compute[test,hf,eval] into it. Idempotent: when the venv exists and the stamp matches the
# sha256 of compute/pyproject.toml (and of this script), it returns at once. The hf extra
# (transformers) is included so that the Hugging Face paths of trainer and server are tested,
# the eval extra (lm-eval) so that the evaluation step's benchmark tasks are (tests/test_benchmarks.py).
# Works on a fresh machine that can reach PyPI (PyTorch from PyPI is large; pip's
# cache, ~/.cache/pip by default or $PIP_CACHE_DIR, is reused between runs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${AIINFRA_VENV:-$ROOT/.venv}"
PYPROJECT="$ROOT/compute/pyproject.toml"
STAMP="$VENV/.aiinfra-env-stamp"
export PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '[python-env] %s\n' "$*" >&2; }

pick_python() {
  local cand
  for cand in "${AIINFRA_PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$cand" ] || continue
    if command -v "$cand" >/dev/null 2>&1 &&
      "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      command -v "$cand"
      return 0
    fi
  done
  return 1
}

want="$(cat "$PYPROJECT" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"

# Fast path without taking the lock.
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/python" ]; then
  exit 0
fi

mkdir -p "$VENV"
exec 9>"$VENV/.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

# Another process may have finished the install while we waited for the lock.
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/python" ]; then
  exit 0
fi

if ! [ -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  PY="$(pick_python)" || { log "error: Python >= 3.11 not found (set AIINFRA_PYTHON)"; exit 1; }
  log "creating $VENV with $PY"
  "$PY" -m venv "$VENV"
fi

log "installing compute[test,hf,eval] into $VENV (first run downloads PyTorch; later runs use the pip cache)"
"$VENV/bin/python" -m pip install --quiet --upgrade "pip>=23.1"
"$VENV/bin/python" -m pip install --quiet -e "$ROOT/compute[test,hf,eval]"
"$VENV/bin/python" -c 'import aiinfra, torch; print("[python-env] aiinfra ok, torch", torch.__version__)' >&2

printf '%s\n' "$want" >"$STAMP"
log "ready"
