# Every target sets up what it needs: a virtualenv in .venv and CIFAR-10 in data/.
# Offline, CIFAR-10 comes from CIFAR10_SOURCE (an archive or folder); next to this
# checkout's ../shared/cifar10 it is found by itself.

# As root (CI, Gradescope) the grader runs student code as an unprivileged user,
# who must be able to run the venv's interpreter: a system Python, not one
# installed under root's home.
ifeq ($(shell id -u),0)
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
endif
PYTHON ?= python3
VENV := .venv
PY := $(CURDIR)/$(VENV)/bin/python
INSTALLED := $(VENV)/.installed

export CIFAR10_DIR ?= $(CURDIR)/data/cifar-10-batches-py
CIFAR10_SOURCE ?= $(wildcard $(CURDIR)/../shared/cifar10/cifar-10-python.tar.gz)
export CIFAR10_SOURCE
# Without SUBMISSION, `make grade` grades the reference as a student would submit
# it: its layers/ and utils/ with the master notebook (out/reference-submission).
SUBMISSION ?= out/reference-submission
RESULTS ?= results.json

.PHONY: setup data test grade template check-template sweep search clean autograder batch bench-grading bench

# The venv is made once; a changed pyproject.toml only reinstalls into it
# (making it again over itself with another Python would break it).
$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Editable in "compat" mode: a .pth puts the checkout on sys.path (so `python -m
# grader` works from any folder), after the working directory, so that a copy of the
# grader run with this venv (a simulated /autograder) imports its own code.
$(INSTALLED): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]" --config-settings editable_mode=compat
	touch $@

setup: $(INSTALLED)

data: setup
	cd reference && $(PY) -m utils.download_cifar10 --dest "$(CIFAR10_DIR)"

test: setup data
	$(PY) -m pytest

grade: setup data
	@if [ "$(SUBMISSION)" = out/reference-submission ]; then \
		rm -rf out/reference-submission && mkdir -p out/reference-submission && \
		cp -r reference/layers reference/utils notebooks/classification_nn.ipynb out/reference-submission/; \
	fi
	$(PY) -m grader "$(SUBMISSION)" --results "$(RESULTS)"

clean:
	rm -rf $(VENV) data .pytest_cache

# The reference's hyperparameters: search them again (~15 CPU minutes), or
# check the chosen ones (scripts/reference_hyperparams.py) over ten seeds.
search: setup data
	$(PY) scripts/search_hyperparams.py

sweep: setup data
	$(PY) scripts/seed_sweep.py

# What an instructor checks on their own data before uploading the autograder:
# the reference graded as an upload (the self-check setup.sh runs on Gradescope:
# accuracies, score), then BEST_NET_HYPERPARAMS over ten seeds and the share of
# seeds over each threshold. CALIBRATE_OPTIONS: see scripts/calibrate.py --help.
.PHONY: calibrate
calibrate: setup data
	$(PY) scripts/calibrate.py $(CALIBRATE_OPTIONS)

template: setup
	$(PY) -m tools.build_notebook
	$(PY) -m tools.make_template

check-template: setup
	$(PY) -m tools.build_notebook --check
	$(PY) -m tools.make_template --check

# Gradescope: autograder.zip to upload (gradescope/build.py), and grading a
# whole class here: make batch SUBMISSIONS=dir [BATCH_OUT=batch-out] [BATCH_OPTIONS=--skip-notebook].
autograder: setup
	$(PY) -m gradescope.build --out autograder.zip

BATCH_OUT ?= batch-out
batch: setup data
	$(PY) -m grader batch "$(SUBMISSIONS)" --out "$(BATCH_OUT)" $(BATCH_OPTIONS)

# Time and memory of one grading, batch throughput, and the size of a fresh
# Gradescope environment (runs setup.sh: installs the requirements from the index).
bench-grading: setup data
	$(PY) benchmarks/bench_grading.py

# Speed of the reference's training against PyTorch (CPU) and the matrix-product
# floor, CIFAR-10 loading, and grading the reference (docs/performance.md).
# Installs the optional PyTorch CPU build (the `bench` extra) if missing; without
# it the benchmark still runs and says so. BENCH_OPTIONS: see --help.
bench: setup data
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet --disable-pip-version-check "torch==2.13.0" \
		|| echo "bench: torch==2.13.0 could not be installed; benchmarking without PyTorch"
	$(PY) benchmarks/bench_training.py $(BENCH_OPTIONS)
