# The two commands of the README: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test setup lint format bench bench-peer clean package-test image-test

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
## Most tests wait on subprocesses, servers and sockets, so they run in TEST_WORKERS processes (4 on 2 cores),
## whole files handed out longest first with at most two drills at once (tests/scheduling.py says why);
## the tests marked `serial` measure latency under load and run alone afterwards. The slowest tests are listed
## at the end of each part.
TEST_WORKERS ?= 4
test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(TEST_WORKERS) --longest-first -m "not serial" --durations=15
	$(BIN)/pytest -m serial --durations=5

## make package-test: build the sdist and wheel, twine check them, install the wheel alone in a fresh venv and
## run the demo, a check and a short daemon with it, outside the checkout (.ci/package-test; 4.5 min, loaded).
package-test: setup
	.ci/package-test

## make image-test: build the Containerfile with buildah on a Debian base made by debootstrap, and run the demo,
## a check and a short daemon inside the image (.ci/image-test; needs root; 16 min from nothing, loaded).
image-test:
	.ci/image-test

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make bench-peer: the peer the benches compare with (NannyML 0.13, bench/peer_nannyml.py), in its own venv.
## NannyML pins an older stack (bench/peer-requirements.txt), so it never enters .venv or pyproject.toml.
## The venv is about 2 GB (two minutes to install); its check runs every calculator used on small slices (10 s).
PEER_VENV := .venv-peer
PEER_STAMP := $(PEER_VENV)/.installed-stamp

$(PEER_STAMP): bench/peer-requirements.txt
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/pip install --quiet --upgrade pip
	$(PEER_VENV)/bin/pip install --quiet -r bench/peer-requirements.txt
	$(PEER_VENV)/bin/pip check
	$(PEER_VENV)/bin/python bench/peer_nannyml.py check
	touch $(PEER_STAMP)

bench-peer: $(PEER_STAMP)

clean:
	rm -rf $(VENV) $(PEER_VENV) predictions.db drifthound.db drifthound.db-wal drifthound.db-shm reports .pytest_cache
