# `make test` and `make demo` create .venv when missing and install the pinned stack.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install system-packages lint test test-fast test-gpu demo demo-pretrain clean-demo

install: $(STAMP)

$(STAMP): setup.py requirements/runtime.txt requirements/tests.txt requirements/mmcv.txt tools/install_system_packages.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1
	# Users with full mmcv keep it; everyone else gets the pure-Python mmcv-lite.
	$(PY) -c "import mmcv" 2>/dev/null || $(PY) -m pip install -q -r requirements/mmcv.txt
	$(PY) -m pip install -q -e . -r requirements/tests.txt
	# FFmpeg's shared libraries (torchcodec decodes with them) and the tests' real data, from Debian.
	bash tools/install_system_packages.sh
	touch $(STAMP)

system-packages:
	bash tools/install_system_packages.sh

# Lint settings: pyproject.toml ([tool.ruff]).
lint: install
	$(VENV)/bin/ruff check .

# Test files run whole in one of 2 processes; files sharing a training session fixture share one (tests/conftest.py).
PYTEST := $(PY) -m pytest tests -q -n 2 --dist loadgroup

test: install lint
	$(PYTEST) --durations=10

# The loop while working: the files marked slow left out (README: The two commands).
test-fast: install lint
	$(PYTEST) -m "not slow"

# A machine with a CUDA GPU: tests/gpu and the kernels' accuracy on the GPU; one line and exit 0 elsewhere.
# GPU_PYTHON: a Python that has the stack (default: .venv's when it exists, else python3).
GPU_PYTHON ?= $(if $(wildcard $(PY)),$(PY),$(PYTHON))
test-gpu:
	@$(GPU_PYTHON) -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null \
		|| { echo "make test-gpu: no CUDA GPU here: nothing to run"; exit 0; }; \
	$(GPU_PYTHON) -m pytest tests/gpu tests/models/test_kan_triton.py tests/models/test_kan_precision.py -q -p no:xdist

demo: install
	$(PY) tools/run_demo.py

# Stages 1-2 of the demo: the frame-pretrained tiny ViT that configs/custom/ starts from.
demo-pretrain: install
	$(PY) tools/run_demo.py --pretrain-only

clean-demo:
	rm -rf data/demo work_dirs/demo
