# Tamga: `make demo` runs a simulated election of several precincts; `make test` runs the whole test suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
BOOKWORM := .venv-bookworm
STAMP := $(VENV)/.installed
BOOKWORM_STAMP := $(BOOKWORM)/.installed
# The enclosure firmware's MicroPython (npm), for its tests and sim day --enclosure.
NODE_STAMP := firmware/enclosure/node_modules/.installed
LOCALES := $(patsubst %.po,%.mo,$(wildcard terminal/locale/*/LC_MESSAGES/tamga.po))
HOST_LOCALES := $(patsubst %.po,%.mo,$(wildcard host_tools/locale/*/LC_MESSAGES/tamga-host.po))

.PHONY: demo test test-current test-bookworm lint system locales clean bench fuzz torture qemu-test

system:
	@scripts/setup-system.sh

# An existing environment is updated in place when the requirements change, not made anew.
$(STAMP): requirements/dev.txt requirements/terminal.txt requirements/host.txt | system
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/dev.txt
	touch $@

$(BOOKWORM_STAMP): requirements/bookworm.txt requirements/dev.txt | system
	test -x $(BOOKWORM)/bin/python || $(PYTHON) -m venv $(BOOKWORM)
	$(BOOKWORM)/bin/python -m pip install -q --upgrade pip
	# PyNaCl on the system libsodium, as Debian's python3-nacl is (the 1.5.0 wheel's is unpatched).
	# jsonschema is for the tests' simulator only: sim day --definition reads definitions with
	# the host tools' loader; the terminal never imports it.
	SODIUM_INSTALL=system $(BOOKWORM)/bin/python -m pip install -q --no-binary pynacl \
		-r requirements/bookworm.txt pytest pytest-xdist hypothesis jsonschema
	touch $@

$(NODE_STAMP): firmware/enclosure/package.json firmware/enclosure/package-lock.json | system
	scripts/setup-node.sh

terminal/locale/%/LC_MESSAGES/tamga.mo: terminal/locale/%/LC_MESSAGES/tamga.po $(STAMP)
	$(VENV)/bin/pybabel compile --domain tamga -i $< -o $@

host_tools/locale/%/LC_MESSAGES/tamga-host.mo: host_tools/locale/%/LC_MESSAGES/tamga-host.po $(STAMP)
	$(VENV)/bin/pybabel compile --domain tamga-host -i $< -o $@

locales: $(LOCALES) $(HOST_LOCALES)

demo: $(STAMP) locales
	$(PY) -m sim election --definition examples/kg-local.toml --voters-per-precinct 10 --challenges 1 --seed 1 --out runs/demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/bandit -q -c pyproject.toml -r terminal host_tools

test-current: $(STAMP) $(NODE_STAMP) locales
	$(PY) -m pytest -n 2 -m "not slow"

# The terminal's own tests again on the exact package versions of Raspberry Pi OS Bookworm,
# with the issue-size power-cut day (300 voters, 100 cuts) run there, on the terminal's versions.
test-bookworm: $(BOOKWORM_STAMP) $(NODE_STAMP) locales
	TAMGA_FULL_POWER_CUTS=1 $(BOOKWORM)/bin/python -m pytest -n 2 -m "not slow and not host_only" tests

test: lint test-current test-bookworm

# Benchmarks against the targets: prints every figure, writes bench/results.json.
bench: $(STAMP) locales
	$(PY) -m bench

# Coverage-guided fuzzing of every parser (atheris); FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz: $(STAMP) locales
	$(VENV)/bin/python -m pip install -q atheris
	$(PY) -m fuzz --seconds $(FUZZ_SECONDS)

# The long power-cut and crash variants (the default test run has a fast slice of each).
torture: $(STAMP) $(NODE_STAMP) locales
	$(PY) -m pytest -n 2 -m slow tests

# The unchanged terminal on an emulated arm64 board (Debian 12 packages) under QEMU.
qemu-test: $(STAMP) locales
	$(PY) -m sim.qemu test

clean:
	rm -rf $(VENV) $(BOOKWORM) runs
