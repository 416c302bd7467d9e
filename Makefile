# `make test` and `make demo` create .venv when missing and install the pinned stack.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install system-packages lint test demo demo-pretrain clean-demo

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

test: install lint
	$(PY) -m pytest tests -q -n 2 --dist loadfile --durations=10

demo: install
	$(PY) tools/run_demo.py

# Stages 1-2 of the demo: the frame-pretrained tiny ViT that configs/custom/ starts from.
demo-pretrain: install
	$(PY) tools/run_demo.py --pretrain-only

clean-demo:
	rm -rf data/demo work_dirs/demo
