#!/usr/bin/env bash
# OpenRLHF's remote-reward client against `rationalerm serve-reward` (tests/trainers/test_openrlhf.py), then the
# server's own tests, slow ones included (tests/test_serve_reward.py: faults, 2,000 half-open connections).
#
# OpenRLHF cannot be installed whole on a CPU machine: it pins deepspeed, flash-attn (a CUDA build) and, for
# rollouts, vLLM. The test needs only its reward client (openrlhf.utils.agent), whose imports are aiohttp, torch,
# transformers and sympy (all in the test venv) and pylatexenc. So the openrlhf wheel (and pylatexenc) is installed
# without dependencies into build/openrlhf-$OPENRLHF_VERSION, beside the venv and not in it, and put on PYTHONPATH.
#
# Usage: scripts/trainers/openrlhf.sh [pytest args]   (PYTHON: the venv's python, default .venv/bin/python;
# OPENRLHF_VERSION: default 0.11.2). Run `make test` (or the Makefile's .venv/.test) first for the venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
VERSION=${OPENRLHF_VERSION:-0.11.2}
OVERLAY=build/openrlhf-$VERSION
SECONDS=0
if [ ! -f "$OVERLAY/.installed" ]; then
  rm -rf "$OVERLAY"
  "$PY" -m pip install -q --no-deps --target "$OVERLAY" "openrlhf==$VERSION" "pylatexenc==2.11"
  rm -rf "$OVERLAY/tests" "$OVERLAY/bin"  # the wheel ships a top-level tests/ package; nothing else is needed
  touch "$OVERLAY/.installed"
fi
PYTHONPATH="$OVERLAY${PYTHONPATH:+:$PYTHONPATH}" "$PY" -c \
  'import importlib.metadata as m, openrlhf.utils.agent; print("openrlhf", m.version("openrlhf"), "reward client importable")'
echo "install: ${SECONDS}s"
SECONDS=0
PYTHONPATH="$OVERLAY${PYTHONPATH:+:$PYTHONPATH}" "$PY" -m pytest -q -p no:cacheprovider -m "" \
  tests/trainers/test_openrlhf.py tests/test_serve_reward.py "$@"
echo "openrlhf tests: ${SECONDS}s"
