#!/usr/bin/env bash
# The verl reward in real verl (tests/trainers/test_verl.py): verl's own loader (get_custom_reward_fn, pkg:// and
# file path), validate_config on the examples config (and on what examples/verl/launch.sh composes), the reward
# loop's RewardLoopWorker in process (reward managers naive and rate_limited, sync and async reward, LLM judge on
# a loopback server and the local matcher) and RewardLoopManager on a local Ray cluster. CPU only, nothing
# downloaded beyond the package index.
#
# verl needs its own virtual environment: verl 0.9 pins transformers < 5.11, while rationalerm's `train` extra
# needs >= 5.24. This script makes $VENV (default .venv-verl), installs the CPU torch first (an unpinned torch
# pulls a multi-GB CUDA build), then verl and rationalerm (editable, with the local matcher and test extras),
# keeping that torch. It reinstalls only when pyproject.toml, this script or the versions change.
#
# Usage: scripts/trainers/verl.sh [pytest args]   (PYTHON: the interpreter for the venv, default python3.11;
# VENV: default .venv-verl; VERL_VERSION: default 0.9.1; TORCH_VERSION: default 2.13.0)
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3.11}
VENV=${VENV:-.venv-verl}
VERL_VERSION=${VERL_VERSION:-0.9.1}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
STAMP="$VENV/.installed-$(cat pyproject.toml "$0" | sha256sum | cut -c1-16)-verl$VERL_VERSION-torch$TORCH_VERSION"
SECONDS=0
if [ ! -f "$STAMP" ]; then
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q "torch==$TORCH_VERSION"
  "$VENV/bin/python" -m pip install -q "verl==$VERL_VERSION" -e ".[local,test]" "torch==$TORCH_VERSION"
  rm -f "$VENV"/.installed-*
  touch "$STAMP"
fi
"$VENV/bin/python" -c 'import importlib.metadata as m
print(" ".join(f"{p}=={m.version(p)}" for p in ("verl", "torch", "transformers", "ray", "hydra-core", "rationalerm")))'
echo "install: ${SECONDS}s"
SECONDS=0
"$VENV/bin/python" -m pytest -q -p no:cacheprovider -m "" tests/trainers/test_verl.py "$@"
echo "verl tests: ${SECONDS}s"
