# The two commands a new user types (see README.md):
#   make demo    set everything up, load the demo submissions and open the window
#   make test    set everything up and run the whole test suite (what CI runs)
# and while working on the code (CONTRIBUTING.md):
#   make check   the quick loop: every test but those marked slow, stopping at the first failure
#   make lint    ruff and the import contracts (make test, and so CI, runs both first)
# and for releases (packaging/README.md):
#   make bundle        the desktop bundle: dist/reviewer-app/ and dist/reviewer-app-*.tar.gz
#   make bundle-smoke  run the built bundle (not this tree) with the system's VLC hidden
PYTHON ?= python3
# pytest-xdist workers: one per core ("auto"); PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= auto
# Compiled modules are cached as an installed app's are: with PYTHONDONTWRITEBYTECODE set (as
# some CI images do), every pytest worker and every `python -m reviewer_app` a test starts
# compiled the app and rewrote the tests' asserts again (5 s per worker, ~50 ms per process).
unexport PYTHONDONTWRITEBYTECODE
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test check setup setup-test setup-package ui bench bundle bundle-smoke lint clean

demo: setup
	$(BIN)/reviewer-app demo
	$(BIN)/reviewer-app

test: setup-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

check: setup-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal -m "not slow" -x -q \
		$(PYTEST_ARGS)

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports

setup:
	bash packaging/bootstrap.sh run
	$(MAKE) --no-print-directory $(VENV)/.installed-gui

setup-test:
	bash packaging/bootstrap.sh test
	$(MAKE) --no-print-directory $(VENV)/.installed-test

setup-package:
	bash packaging/bootstrap.sh package
	$(MAKE) --no-print-directory $(VENV)/.installed-package

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-gui: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[gui,issuer]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-gui

$(VENV)/.installed-package: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[package]'
	touch $@ $(VENV)/.installed-gui

# Regenerate reviewer_app/gui/forms/ from the Qt Designer files in ui/.
ui: setup
	for f in ui/*.ui; do \
	  $(BIN)/pyside6-uic "$$f" -o "reviewer_app/gui/forms/ui_$$(basename "$$f" .ui).py"; \
	done

bundle: setup-package
	bash packaging/build_bundle.sh $(BIN)/python

bundle-smoke:
	bash packaging/bootstrap.sh package
	bash packaging/bundle_smoke.sh $(BIN)/python

bench: setup-test
	$(BIN)/python tests/benchmarks/bench_import.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
