# loan-risk-monitor — the two commands are `make run` and `make test`.
# Everything they need is installed by `make setup` (a .venv with the project,
# the Kafka jars from Maven Central, the Prometheus tools from Debian).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: setup run test test-fast bench audit kafka-start kafka-stop clean help

help:
	@echo "make run    - local broker + worker + simulator, live alerts, metrics on :9308 (Ctrl-C stops)"
	@echo "make test   - install everything and run the whole test suite"
	@echo "make setup  - create .venv with the project, fetch the Kafka jars (quick when nothing changed)"
	@echo "make bench  - throughput/latency benchmark against the local broker"

# The venv is rebuilt only when pyproject.toml, constraints.txt (the exact versions
# installed: those the suite passed with), setup.py, the C walk's source (built
# in place by the editable install) or this file (which names the extras) changes.
# rocksdb: rocksdict, for RISKMON_TABLE_STORE=rocksdb:// and the bench's restart phase
# (the default memory:// store works without it).
$(STAMP): pyproject.toml constraints.txt setup.py models/_tree_walk.pyx Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,report,rocksdb]'
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/riskmon kafka fetch
	@bash deploy/install-system-deps.sh

run: setup
	$(BIN)/riskmon run

# Two passes: the tests that need no broker (pure logic, the held-out-worlds
# guards) spread over every core with pytest-xdist, then the broker tests three
# at a time (KAFKA_TEST_JOBS), each pytest-xdist worker with a private broker of
# its own: they mostly wait on Kafka (rebalances, session timeouts, restarts), so
# even on 2 cores three at a time took 4:56-5:49 against 7:30 for two (docs/tests.md).
# KAFKA_TEST_JOBS=0 runs them one at a time in one process, with one broker.
# The first pass's workers keep NumPy's and scikit-learn's thread pools at one
# thread: a process per core already fills the cores, and pools of one per core
# in each made the guards 8-9 % slower (docs/tests.md).
TEST_JOBS ?= auto
KAFKA_TEST_JOBS ?= 3

test: setup
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -n $(TEST_JOBS) -m "not kafka" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -n $(KAFKA_TEST_JOBS) -m kafka $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest -m "not kafka and not slow" $(PYTEST_ARGS)

bench: setup
	$(BIN)/riskmon bench

# Known-vulnerability audit of every installed package (not the project itself),
# against PyPI's JSON API. --strict fails when a package could not be checked,
# so a registry without that API gives an error, never a false "all clear".
audit: setup
	$(BIN)/pip install --quiet 'pip-audit>=2.7,<3'
	$(BIN)/pip freeze --exclude-editable > $(VENV)/audit-requirements.txt
	$(BIN)/pip-audit --strict --no-deps --disable-pip --progress-spinner off -r $(VENV)/audit-requirements.txt

kafka-start: setup
	$(BIN)/riskmon kafka start

kafka-stop:
	$(BIN)/riskmon kafka stop

clean:
	-$(BIN)/riskmon kafka stop
	rm -rf $(VENV) var .pytest_cache .hypothesis
