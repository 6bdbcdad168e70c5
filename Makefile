# The two commands a newcomer runs (README): `make demo` and `make test`.
# Both set up .venv first (`make install`): idempotent, seconds when done.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.comnet-installed
DATA ?= data/toy_voc
PRETRAIN_DATA ?= data/toy_imagenet
WORK ?= work_dirs/demo
# The pipeline(s) the demo runs: COMNet's, end to end. The baseline beside it
# (PIPELINES="configs/pipeline/baseline_toy.py configs/pipeline/comnet_toy.py")
# doubles the time; the comparison that means something is over seeds
# (docs/benchmark.md).
PIPELINES ?= configs/pipeline/comnet_toy.py
# Extra tools/run_pipeline.py arguments (the smoke test shortens every stage)
# and make_toy_voc.py / make_toy_imagenet.py arguments (the smoke test makes
# small sets).
DEMO_OPTS ?=
DATA_OPTS ?=
PRETRAIN_DATA_OPTS ?=
PYTEST_ARGS ?=
# pytest-xdist workers for `make test`: one per core, at most 4 (the
# end-to-end tests run their tools single-threaded, OMP_NUM_THREADS=1, so
# two tests share 2 cores well; more workers on a big machine would only
# add memory); TEST_JOBS=0 runs them in one process.
TEST_JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$((n < 4 ? n : 4)))

.PHONY: install lint test test-fast demo clean

install: $(STAMP)

$(STAMP): requirements/ci.txt setup.cfg setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q torch==2.9.1 torchvision==0.24.1
	$(PIP) install -q "setuptools<70" wheel ninja psutil mmengine==0.10.7
	# mmcv 2.1.0 has no CPU wheel for this torch: build it (~25 min on 2
	# cores the first time; pip caches the wheel, later installs take seconds).
	$(PY) -c "import mmcv.ops" 2>/dev/null || \
		MAX_JOBS=2 $(PIP) install --no-build-isolation mmcv==2.1.0
	$(PIP) install -q -r requirements/ci.txt
	$(PIP) install -q --no-build-isolation --no-deps -e .
	$(PY) -c "import comnet_mm, mmcv.ops, mmseg.models, mmpretrain, pydensecrf"
	touch $@

# OpenMMLab's style checks (.pre-commit-config.yaml, settings in setup.cfg)
LINT_STAMP := $(VENV)/.comnet-lint
lint: install $(LINT_STAMP)
	PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/pre-commit run --all-files

$(LINT_STAMP): requirements/lint.txt
	$(PIP) install -q -r requirements/lint.txt
	touch $@

test: install
	$(PY) -m pytest -q -n $(TEST_JOBS) --dist loadgroup tests \
		$(PYTEST_ARGS)

# Everything but the end-to-end runs in subprocesses (marked slow): the loop
# to run while editing; `make test` runs all.
test-fast: install
	$(PY) -m pytest -q -m "not slow" tests $(PYTEST_ARGS)

demo: install
	$(PY) tools/dataset_converters/make_toy_voc.py $(DATA) $(DATA_OPTS)
	$(PY) tools/dataset_converters/make_toy_imagenet.py $(PRETRAIN_DATA) \
		$(PRETRAIN_DATA_OPTS)
	$(PY) tools/run_pipeline.py $(PIPELINES) --work-dir $(WORK) \
		--data-root $(DATA) --pretrain-data-root $(PRETRAIN_DATA) $(DEMO_OPTS)

clean:
	rm -rf $(WORK)
