# The pipeline: data/configs/<stem>.toml -> data/results/<stem>.npz -> paper/figures/<stem>.png -> report.
# Adding a config or a figure module adds its targets: nothing here lists stems by hand.
# `make` alone prints this help.

SHELL := /bin/bash
PYTHON ?= python3
# Inside an active conda env (not base) use its python; otherwise a local .venv that `make env` builds.
ifneq ($(filter-out base,$(CONDA_DEFAULT_ENV)),)
PY := python
ENV_STAMP :=
else
PY := .venv/bin/python
ENV_STAMP := .venv/.installed
endif

CONFIGS := $(wildcard data/configs/*.toml)
RESULTS := $(CONFIGS:data/configs/%.toml=data/results/%.npz)
FIG_IDS := $(basename $(notdir $(wildcard reproduce/figures/fig*.py)))
FIGURES := $(FIG_IDS:%=paper/figures/%.png)
# Training code: a change here retrains; analysis, plotting and report code only redraw. The grokking run
# (minutes) depends on its own modules only, so S-curve trainer edits never rerun it, and vice versa.
CORE_SRC := reproduce/__init__.py reproduce/__main__.py reproduce/config.py reproduce/errors.py \
            reproduce/paths.py reproduce/results.py
SCURVE_SRC := $(CORE_SRC) reproduce/model.py reproduce/train.py
GROK_SRC := $(CORE_SRC) reproduce/grokking.py reproduce/fourier.py
PLOT_SRC := reproduce/analysis.py reproduce/theory.py reproduce/results.py reproduce/figures/__init__.py \
            reproduce/figures/common.py reproduce/figures/matplotlibrc data/bump.toml
CLAIMS := data/results/claims.csv
REPORT := paper/report.html
TESTS_PASSED := data/results/.tests-passed

.PHONY: help env install train figures claims paper test regen bench all clean
.PRECIOUS: $(RESULTS) data/results/%.npz
.DELETE_ON_ERROR:

help: ## list the targets
	@echo "Multi-Component Learning and S-Curves: reproduction pipeline"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-9s %s\n", $$1, $$2}'

all: train figures paper $(TESTS_PASSED) ## train every config, draw every figure, build the report, run the tests

env install: $(ENV_STAMP) ## create .venv (torch==2.13.0 CPU first, then this package) unless conda is active

.venv/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null || { \
	  echo "error: this package needs Python >= 3.10; '$(PYTHON)' is $$($(PYTHON) --version 2>&1). Run: make PYTHON=python3.11 all"; exit 1; }
	$(PYTHON) -m venv .venv
	.venv/bin/pip install --quiet --upgrade pip
	.venv/bin/pip install --quiet torch==2.13.0
	.venv/bin/pip install --quiet -e '.[test,notebook]'
	@touch $@

train: $(RESULTS) ## train every config in data/configs (skips those already up to date)

data/results/%.npz: data/configs/%.toml $(SCURVE_SRC) | $(ENV_STAMP)
	$(PY) -m reproduce train $<

# The more specific pattern wins for the grokking config (GNU make prefers the shortest stem).
data/results/figG_%.npz: data/configs/figG_%.toml $(GROK_SRC) | $(ENV_STAMP)
	$(PY) -m reproduce train $<

figures: $(FIGURES) $(CLAIMS) ## draw paper/figures/<stem>.png/.pdf and compute data/results/claims.csv

# Each figure draws the results of its own stem, except the grokking figures, which share one run.
results_of = data/results/$(if $(filter figG%,$(1)),figG_grokking,$(1)).npz
.SECONDEXPANSION:
# Figure modules may share code (fig02 reuses fig01, figG2/3 reuse figG1), so each depends on all of them.
paper/figures/%.png: $$(call results_of,$$*) $(wildcard reproduce/figures/fig*.py) $(PLOT_SRC) | $(ENV_STAMP)
	$(PY) -m reproduce plot $*

claims: $(CLAIMS) ## compute data/results/claims.csv: every claim of FIGURES.md as a predicate on the data

$(CLAIMS): $(RESULTS) $(wildcard reproduce/figures/fig*.py) reproduce/claims.py $(PLOT_SRC) | $(ENV_STAMP)
	$(PY) -m reproduce claims

paper: $(REPORT) ## execute the report notebook into paper/report.html

$(REPORT): $(wildcard paper/*.py) reproduce/report.py $(FIGURES) $(CLAIMS) | $(ENV_STAMP)
	$(PY) -m reproduce report

test: $(FIGURES) $(CLAIMS) ## run the test suite (trains and draws first if needed; never rewrites baselines)
	$(PY) -m pytest

# `make all` reruns the tests only when something they read has changed.
$(TESTS_PASSED): $(FIGURES) $(CLAIMS) $(REPORT) $(wildcard tests/*.py tests/baselines/*.csv) | $(ENV_STAMP)
	$(PY) -m pytest
	@touch $@

regen: $(FIGURES) $(CLAIMS) ## rewrite the regression baselines in tests/baselines from the current results (on purpose only)
	$(PY) -m pytest tests/test_figure_data.py --regen-baselines

bench: $(ENV_STAMP) ## benchmark the trainer against the obvious implementation; writes data/results/bench.csv
	$(PY) -m reproduce.bench

clean: ## delete generated results, figures and the report (keeps .venv and the baselines)
	find data/results paper/figures -type f ! -name .gitignore -delete
	rm -f $(REPORT)

# --- the explorer and the front-page gallery (neither is part of `make all`) ---
.PHONY: explore gallery

explore: $(ENV_STAMP) ## start the live explorer, a local web app (prints its URL; PORT=8502 for another port)
	$(PY) -m reproduce.explore $(if $(PORT),--port $(PORT))

gallery: $(CLAIMS) ## redraw paper/gallery/ (thumbnails, claims table, manifest) and README's gallery section
	$(PY) -m reproduce.gallery
