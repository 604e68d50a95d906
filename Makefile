# Every target creates .venv when missing and installs what it needs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
# torch is pinned and installed first: an unpinned torch pulls a multi-GB CUDA build.
TORCH := torch==2.13.0

.PHONY: demo test test-all bench lint clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.core: $(BIN)/python pyproject.toml
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -e ".[local]"
	touch $@

$(VENV)/.test: $(VENV)/.core
	$(PIP) install -q -e ".[local,test,hub,train]" "torch==2.13.0"
	touch $@

$(VENV)/.dev: $(VENV)/.core
	$(PIP) install -q -e ".[dev]"
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

test: $(VENV)/.test chromium
	$(BIN)/python -m pytest -m "not slow" -q

test-all: $(VENV)/.test
	$(BIN)/python -m pytest -q

bench: $(VENV)/.test
	$(BIN)/python benchmarks/analyze_scale.py
	$(BIN)/python benchmarks/local_matcher.py
	$(BIN)/python benchmarks/judge_throughput.py

lint: $(VENV)/.dev
	$(BIN)/python -m ruff check src tests benchmarks
	$(BIN)/python -m ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) runs .pytest_cache
