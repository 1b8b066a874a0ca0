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
FIG_IDS := $(basename $(notdir $(wildcard reproduce/figures/fig*.py)))
# A figure too costly for `make all` names its own target in its module (MAKE_TARGET, e.g. grokking-lr):
# it and the results it reads are built by that target only (reproduce/figures/__init__.py, `present`).
OPTIONAL_FIGS := $(basename $(notdir $(shell grep -l '^MAKE_TARGET' reproduce/figures/fig*.py)))
OPTIONAL_RESULTS := $(foreach f,$(OPTIONAL_FIGS),data/results/$(shell sed -n 's/^RESULTS_STEM = "\(.*\)"/\1/p' reproduce/figures/$(f).py).npz)
RESULTS := $(filter-out $(OPTIONAL_RESULTS),$(CONFIGS:data/configs/%.toml=data/results/%.npz))
FIGURES := $(filter-out $(OPTIONAL_FIGS:%=paper/figures/%.png),$(FIG_IDS:%=paper/figures/%.png))
CLAIMS := data/results/claims.csv
REPORT := paper/report.html
TESTS_PASSED := data/results/.tests-passed
# `make all` and `make test` build with two jobs: the grokking run trains two seeds at a time, and two jobs
# keep both cores of the reference machine busy with the S-curve configs and figures meanwhile (JOBS=8 for more).
JOBS ?= 2
# DEVICE=cuda trains every config on the GPU (the results carry the device in their provenance).
DEVICE ?=
# ALLOW_LONG=1 trains configs estimated to take more than an hour on the reference machine (refused otherwise).
ALLOW_LONG ?=
TRAIN_FLAGS := $(if $(DEVICE),--device $(DEVICE)) $(if $(ALLOW_LONG),--allow-long)

# Prerequisites derived from the import graph (reproduce/core/deps.py): each result depends on its family's
# trainer and what it imports, each figure on its own module, what it imports and the results it reads.
# Regenerated whenever a source or config changes; not needed for help/env/clean.
DEPS_MK := build/deps.mk
DEPS_PY := $(firstword $(wildcard $(PY)) $(PYTHON))
ifneq ($(filter-out help env install lock clean,$(or $(MAKECMDGOALS),help)),)
include $(DEPS_MK)
endif

# Before any recipe: every folder the goals write is checked (a file in the way, a folder that cannot be
# created or written, a full disk stop make with one line naming it, exit status 2), then one make at a
# time works in this checkout: a second one (`make all` in another terminal) says it waits, then finds the
# first one's results up to date (reproduce/core/lock.py). Makes run by this one's recipes share its lock.
MAKE_LOCK := $(CURDIR)/build/make.lock
UNGUARDED := help env install lock explore
WRITES_train := build data/results
WRITES_figures := $(WRITES_train) paper/figures
WRITES_claims := $(WRITES_train)
WRITES_paper := $(WRITES_figures) paper
WRITES_all := $(WRITES_paper)
WRITES_test := $(WRITES_figures)
WRITES_regen := $(WRITES_figures) tests/baselines
WRITES_spread := build data tests/baselines $(wildcard data/results-*)
WRITES_portable := $(WRITES_claims) data/results-portable
WRITES_bench := build data/results
WRITES_gallery := $(WRITES_claims) paper/gallery
WRITES_grokking-lr := $(WRITES_paper)
WRITES_clean := build
GUARDED := $(filter-out $(UNGUARDED),$(or $(MAKECMDGOALS),help))
ifneq ($(GUARDED),)
ifneq ($(REPRODUCE_MAKE_LOCK),$(MAKE_LOCK))
GUARD := $(shell $(DEPS_PY) -m reproduce.core.lock --make-pid $$PPID --goals '$(GUARDED)' $(MAKE_LOCK) \
  $(sort $(foreach g,$(GUARDED),$(or $(WRITES_$(g)),build $(patsubst %/,%,$(dir $(g)))))))
ifneq ($(GUARD),)
$(error $(GUARD))
endif
export REPRODUCE_MAKE_LOCK := $(MAKE_LOCK)
endif
endif
# build/device holds the device the results were trained on: switching DEVICE retrains everything. A rule
# forced only while the file names another device rewrites it, never a parse-time write: a dry run
# (`make -n … DEVICE=cuda`) or `make -q` reports the switch without recording it.
TRAIN_DEVICE := $(or $(DEVICE),config)
ifneq ($(shell cat build/device 2>/dev/null),$(TRAIN_DEVICE))
build/device: FORCE
endif
build/device:
	@mkdir -p $(@D)
	@echo $(TRAIN_DEVICE) > $@.tmp && mv $@.tmp $@
FORCE:
$(DEPS_MK): $(shell find reproduce -name '*.py') $(CONFIGS)
	@mkdir -p $(@D)
	$(DEPS_PY) -m reproduce deps > $@.tmp && mv $@.tmp $@

.PHONY: FORCE help env install lock train figures claims paper test regen spread portable bench all clean \
	grokking-lr
.PRECIOUS: $(RESULTS) data/results/%.npz
.DELETE_ON_ERROR:

help: ## list the targets
	@echo "Multi-Component Learning and S-Curves: reproduction pipeline"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-9s %s\n", $$1, $$2}'

all: ## train every config, draw every figure, build the report, test
	$(MAKE) -j$(JOBS) train figures paper
	$(MAKE) $(TESTS_PASSED)

env install: $(ENV_STAMP) ## create .venv from requirements.lock (torch==2.13.0 first) unless conda is active

# torch first: its build differs per machine (the CPU build here), so the lock leaves it out; then the exact
# versions of requirements.lock; then this package, whose dependencies the lock already holds.
.venv/.installed: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "error: this package needs Python >= 3.11; '$(PYTHON)' is $$($(PYTHON) --version 2>&1). Run: make PYTHON=python3.11 all"; exit 1; }
	$(PYTHON) -m venv .venv
	.venv/bin/pip install --quiet --upgrade pip
	.venv/bin/pip install --quiet torch==2.13.0
	.venv/bin/pip install --quiet -r requirements.lock
	.venv/bin/pip install --quiet --no-deps -e .
	@touch $@

lock: | $(ENV_STAMP) ## rewrite requirements.lock from pyproject.toml with pip-tools (options: pyproject [tool.pip-tools])
	$(PY) -m pip install --quiet pip-tools
	$(PY) -m piptools compile --quiet pyproject.toml   # keeps existing pins; --upgrade-package X to move one

train: $(RESULTS) ## train every config in data/configs (skips those already up to date)

data/results/%.npz: data/configs/%.toml build/device | $(ENV_STAMP)
	$(PY) -m reproduce train $< $(TRAIN_FLAGS)

figures: $(FIGURES) $(CLAIMS) ## draw paper/figures/<stem>.png/.pdf and compute data/results/claims.csv

paper/figures/%.png: | $(ENV_STAMP)
	$(PY) -m reproduce plot $*

claims: $(CLAIMS) ## compute data/results/claims.csv: every claim of paper/spec as a predicate on the data

$(CLAIMS): $(RESULTS) $(CLAIMS_SRC) | $(ENV_STAMP)
	$(PY) -m reproduce claims

paper: $(REPORT) ## execute the report notebook into paper/report.html

$(REPORT): $(wildcard paper/*.py) $(REPORT_SRC) $(FIGURES) $(CLAIMS) | $(ENV_STAMP)
	$(PY) -m reproduce report

test: ## run the test suite (trains and draws first if needed, with JOBS jobs; never rewrites baselines)
	$(MAKE) -j$(JOBS) figures
	$(PY) -m pytest

# `make all` reruns the tests only when something they read has changed.
$(TESTS_PASSED): $(FIGURES) $(CLAIMS) $(REPORT) $(wildcard tests/*.py tests/baselines/*.csv) | $(ENV_STAMP)
	$(PY) -m pytest
	@touch $@

regen: $(FIGURES) $(CLAIMS) ## rewrite tests/baselines from the current results (on purpose only)
	$(PY) -m pytest tests/test_figure_data.py --regen-baselines

spread: $(ENV_STAMP) ## retrain under other CPU kernels (and CUDA); write tests/baselines/spread.csv
	$(PY) -m reproduce spread $(STEMS) $(if $(REUSE),--reuse)

# The second platform of CI: other CPU kernels (ATen's generic capability, MKL's compatible path), results
# in their own folder, checked against the same baselines; claim verdicts must equal the native ones.
PORTABLE := data/results-portable
portable: $(CLAIMS) | $(ENV_STAMP) ## retrain under other CPU kernels, check those results (CI)
	$(PY) -m reproduce spread --variant portable --train-only --ci
	$(PY) -m pytest tests/test_figure_data.py tests/test_portability.py --results $(PORTABLE)

# The study's learning-rate change tested (figG4; CI runs it after the native pass): seeds 0 and 1 at lr 1e-3
# and 3e-3 for the same lr·epoch time, ~13 min on 2 cores (2 × 12 000 epochs at ~0.062 s). Its claims join claims.csv and the report.
grokking-lr: $(FIGURES) | $(ENV_STAMP) ## figG4: lr 1e-3 against the study's 3e-3 (~13 min): train, draw, claims, report, its checks
	$(MAKE) -j$(JOBS) paper/figures/figG4_learning_rate.png
	$(PY) -m reproduce claims
	$(PY) -m reproduce report
	$(PY) -m pytest tests/test_figure_data.py tests/test_teeth.py -k figG4
	$(PY) -m pytest tests/test_claims.py tests/test_report.py

bench: $(ENV_STAMP) ## benchmark the trainers and time a fresh `make all` (~25 min); writes data/results/bench*.csv
	$(PY) -m reproduce.checks.bench

clean: ## delete generated results, figures and the report (keeps .venv and the baselines)
	find data/results paper/figures -type f ! -name .gitignore -delete
	rm -rf data/results-*/ $(filter-out build/make.lock,$(wildcard build/*))
	rm -f $(REPORT)

# --- the explorer and the front-page gallery (neither is part of `make all`) ---
.PHONY: explore gallery

explore: $(ENV_STAMP) ## start the live explorer, a local web app (prints its URL; PORT=8502 for another port)
	$(PY) -m reproduce.explore $(if $(PORT),--port $(PORT))

gallery: $(CLAIMS) ## redraw paper/gallery/ (thumbnails, claims table, manifest) and README's gallery section
	$(PY) -m reproduce.checks.gallery
