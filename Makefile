# The two commands a new user types (see README.md):
#   make demo    set everything up, load the demo submissions and open the window
#   make test    set everything up and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test setup setup-test ui bench lint clean

demo: setup
	$(BIN)/reviewer-app demo
	$(BIN)/reviewer-app

test: setup-test
	$(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

setup:
	bash packaging/bootstrap.sh run
	$(MAKE) --no-print-directory $(VENV)/.installed-gui

setup-test:
	bash packaging/bootstrap.sh test
	$(MAKE) --no-print-directory $(VENV)/.installed-test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-gui: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[gui]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-gui

# Regenerate reviewer_app/gui/forms/ from the Qt Designer files in ui/.
ui: setup
	for f in ui/*.ui; do \
	  $(BIN)/pyside6-uic "$$f" -o "reviewer_app/gui/forms/ui_$$(basename "$$f" .ui).py"; \
	done

bench: setup-test
	$(BIN)/python tests/benchmarks/bench_import.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
