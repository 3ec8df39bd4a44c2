# Each target does its own set-up on a fresh machine that has only Python 3.11.
# torch==2.13.0 is installed first: it is the CPU wheel present on the machine, and a
# bare "torch" requirement would otherwise pull several GB of CUDA packages.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
TORCH ?= torch==2.13.0

.PHONY: demo test docs lint venv clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)

venv: $(BIN)/python

demo: venv
	$(BIN)/python -m pip install --quiet -e ".[all]"
	$(BIN)/python -m skgalvae study --out results

test: venv
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pytest -n 2

docs: venv
	$(BIN)/python -m pip install --quiet -e ".[all,docs]"
	$(MAKE) -C docs html SPHINXBUILD=$(abspath $(BIN))/sphinx-build

lint: venv
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/ruff check skgalvae tests benchmarks examples

clean:
	rm -rf $(VENV) build *.egg-info docs/_build docs/auto_examples docs/gen_modules \
		docs/sg_execution_times.rst
