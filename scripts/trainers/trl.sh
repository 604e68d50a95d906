#!/usr/bin/env bash
# TRL's GRPOTrainer with the rationalerm reward, on CPU with tiny models built on the fly (nothing downloaded):
# tests/trainers/test_trl.py (2 GRPO steps with the reward as a callable object and as a plain async function, an
# LLM judge on loopback) and tests/test_train.py (`rationalerm train` on examples/train_tiny.yaml).
#
# Usage: scripts/trainers/trl.sh [pytest args]   (PYTHON: the venv's python, default .venv/bin/python, which needs
# the train extra: the Makefile's .venv/.test installs it). Prints the TRL version and the time taken.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
SECONDS=0
"$PY" -c 'import trl, transformers; print("trl", trl.__version__, "transformers", transformers.__version__)'
HF_HUB_OFFLINE=1 "$PY" -m pytest -q -p no:cacheprovider -m "" tests/trainers/test_trl.py tests/test_train.py "$@"
echo "trl tests: ${SECONDS}s"
