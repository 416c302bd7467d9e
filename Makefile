# `make test` and `make demo` create .venv when missing and install the pinned stack.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test demo clean-demo

install: $(STAMP)

$(STAMP): setup.py requirements/runtime.txt requirements/tests.txt requirements/mmcv.txt tools/install_system_data.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1
	# Users with full mmcv keep it; everyone else gets the pure-Python mmcv-lite.
	$(PY) -c "import mmcv" 2>/dev/null || $(PY) -m pip install -q -r requirements/mmcv.txt
	$(PY) -m pip install -q -e . -r requirements/tests.txt
	bash tools/install_system_data.sh
	touch $(STAMP)

test: install
	$(PY) -m pytest tests -q

demo: install
	$(PY) tools/run_demo.py

clean-demo:
	rm -rf data/demo work_dirs/demo
