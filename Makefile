# Every target creates .venv when missing and installs what it needs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
# torch is pinned and installed first: an unpinned torch pulls a multi-GB CUDA build.
TORCH := torch==2.13.0
# The tested set of every dependency (make constraints writes it); `make test-latest` tests the newest instead.
CONSTRAINTS := constraints.txt
LATEST := .venv-latest

.PHONY: demo test test-all test-latest test-trainers bench lint clean chromium constraints

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.core: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -c $(CONSTRAINTS) -e ".[local]"
	touch $@

$(VENV)/.test: $(VENV)/.core
	$(PIP) install -q -c $(CONSTRAINTS) -e ".[local,test,hub,train]" $(TORCH)
	touch $@

$(VENV)/.dev: $(VENV)/.core
	$(PIP) install -q -c $(CONSTRAINTS) -e ".[dev]"
	touch $@

$(VENV)/.bench: $(VENV)/.test
	$(PIP) install -q -c $(CONSTRAINTS) -e ".[bench]"
	touch $@

demo: $(VENV)/.core
	$(BIN)/rationalerm evaluate examples/helpsteer3_atomic_demo.jsonl --output-dir runs/demo
	$(BIN)/rationalerm report runs/demo --output runs/demo/report.html

# The HTML report is checked in headless Chromium (Debian's package); without root or apt the test skips.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null) ; } || \
	  echo "chromium not installed: the report rendering test will be skipped"

# lint-imports checks the layers of docs/architecture.md (the contract: [tool.importlinter] in pyproject.toml).
test: $(VENV)/.test chromium
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -m "not slow" -q

test-all: $(VENV)/.test
	$(BIN)/python -m pytest -q

# The newest version of every dependency the index offers (torch stays pinned), in a venv of its own, upgraded on
# every run; the versions tested are printed first.
test-latest: chromium
	@[ -x $(LATEST)/bin/python ] || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install -q --upgrade pip
	$(LATEST)/bin/python -m pip install -q $(TORCH)
	$(LATEST)/bin/python -m pip install -q --upgrade --upgrade-strategy eager -e ".[local,test,hub,train]" $(TORCH)
	@$(LATEST)/bin/python -m pip list --format=freeze 2>/dev/null | \
	  grep -iE '^(aiohttp|pydantic|numpy|scipy|typer|rich|orjson|uvloop|matplotlib|datasets|transformers|trl|sentence-transformers|onnxruntime|pytest)==' | tr '\n' ' '; echo
	$(LATEST)/bin/lint-imports --no-cache
	$(LATEST)/bin/python -m pytest -m "not slow" -q -p no:cacheprovider

# The rewards inside the real trainers: TRL's GRPOTrainer (main venv), OpenRLHF's reward client against serve-reward
# (its wheel beside the venv: OpenRLHF itself needs CUDA builds), verl 0.9.1 on Ray in .venv-verl (it pins
# transformers < 5.11, which the train extra cannot share).
test-trainers: $(VENV)/.test
	PYTHON=$(BIN)/python scripts/trainers/trl.sh
	PYTHON=$(BIN)/python scripts/trainers/openrlhf.sh
	PYTHON=$(PYTHON) scripts/trainers/verl.sh

# Rewrite constraints.txt from a fresh venv with the newest versions (then run make test on it, and commit both).
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip install -q --upgrade pip
	.venv-constraints/bin/python -m pip install -q $(TORCH)
	.venv-constraints/bin/python -m pip install -q -e ".[local,test,hub,train,dev,bench]"
	{ echo "# The dependency set make test installs and CI tests (pip -c). 'make constraints' rewrites it from the newest"; \
	  echo "# versions; 'make test-latest' tests the newest without it. torch is the CPU build the Makefile installs first."; \
	  .venv-constraints/bin/python -m pip freeze --exclude-editable | grep -v '^-e '; } > $(CONSTRAINTS)
	rm -rf .venv-constraints

bench: $(VENV)/.bench
	$(BIN)/python benchmarks/analyze_scale.py
	$(BIN)/python benchmarks/local_matcher.py
	$(BIN)/python benchmarks/local_matcher_cv.py
	$(BIN)/python benchmarks/judge_throughput.py

lint: $(VENV)/.dev
	$(BIN)/python -m ruff check src tests benchmarks
	$(BIN)/python -m ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) $(LATEST) .venv-verl build runs .pytest_cache
