# The two commands: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The message catalogues (hub/translations/<lang>/LC_MESSAGES/messages.po) are compiled
# to .mo files, build products: at install, and again whenever a .po is newer.
CATALOGUES := $(wildcard hub/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/pybabel -q compile -d hub/translations
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pybabel -q compile -d hub/translations
	touch $@ $(VENV)/.installed

%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel -q compile -i $< -o $@

## make run: set up, migrate, load the demo (first time) and serve on http://127.0.0.1:5000
run: $(VENV)/.installed $(COMPILED)
	$(BIN)/slahub db upgrade
	$(BIN)/slahub demo
	HUB_LOG_FORMAT=$${HUB_LOG_FORMAT:-text} $(BIN)/slahub run  # readable logs in a terminal

## make test: set up with the test extras, lint, run the whole suite
test: $(VENV)/.test-installed $(COMPILED)
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n 2 --dist loadfile

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
