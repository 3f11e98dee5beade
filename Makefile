# The two commands of the README: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test setup lint format bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## make run: write the demo (a week of predictions, drift in the last day) and start the daemon on it.
run: setup
	$(BIN)/drifthound demo --dir .
	$(BIN)/drifthound run -c config.toml

## make test: the whole suite (unit, SQLite and PostgreSQL integration, end to end, drills).
## Most tests wait on subprocesses, servers and sockets, so they run in TEST_WORKERS processes; the tests
## marked `serial` measure latency under load and run alone afterwards.
TEST_WORKERS ?= 3
test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not serial"
	$(BIN)/pytest -m serial

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) predictions.db drifthound.db drifthound.db-wal drifthound.db-shm reports .pytest_cache
