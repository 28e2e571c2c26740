# Tamga: `make demo` runs a simulated polling day; `make test` runs the whole test suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
BOOKWORM := .venv-bookworm
STAMP := $(VENV)/.installed
BOOKWORM_STAMP := $(BOOKWORM)/.installed
LOCALES := $(patsubst %.po,%.mo,$(wildcard terminal/locale/*/LC_MESSAGES/tamga.po))

.PHONY: demo test test-current test-bookworm lint system locales clean

system:
	@scripts/setup-system.sh

$(STAMP): requirements/dev.txt requirements/terminal.txt | system
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/dev.txt
	touch $@

$(BOOKWORM_STAMP): requirements/bookworm.txt requirements/dev.txt | system
	$(PYTHON) -m venv $(BOOKWORM)
	$(BOOKWORM)/bin/python -m pip install -q --upgrade pip
	$(BOOKWORM)/bin/python -m pip install -q -r requirements/bookworm.txt pytest pytest-xdist hypothesis
	touch $@

terminal/locale/%/LC_MESSAGES/tamga.mo: terminal/locale/%/LC_MESSAGES/tamga.po $(STAMP)
	$(VENV)/bin/pybabel compile --domain tamga -i $< -o $@

locales: $(LOCALES)

demo: $(STAMP) locales
	$(PY) -m sim day --voters 300 --seed 1 --out runs/demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test-current: $(STAMP) locales
	$(PY) -m pytest -n 2

# The terminal's own tests again on the exact package versions of Raspberry Pi OS Bookworm.
test-bookworm: $(BOOKWORM_STAMP) locales
	$(BOOKWORM)/bin/python -m pytest -n 2 -m "not host_only" tests

test: lint test-current test-bookworm

clean:
	rm -rf $(VENV) $(BOOKWORM) runs
