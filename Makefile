# Spreekuur: `make demo` and `make test` on a fresh machine (see README).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
VENDOR := src/spreekuur/core/static/vendor
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install assets messages demo serve test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent

# Vendor htmx and the NL Design System CSS from npm into the static folder.
assets: node_modules/.package-lock.json
	mkdir -p $(VENDOR)/htmx $(VENDOR)/utrecht
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/@utrecht/component-library-css/dist/index.css $(VENDOR)/utrecht/component-library.css
	cp node_modules/@utrecht/design-tokens/dist/index.css $(VENDOR)/utrecht/design-tokens.css

messages: $(VENV)/.installed
	cd src/spreekuur && ../../$(BIN)/django-admin compilemessages --ignore=.venv -v 0

install: $(VENV)/.installed assets messages

demo: install
	$(BIN)/spreekuur migrate --no-input -v 0
	$(BIN)/spreekuur load_demo
	$(BIN)/spreekuur runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest -q

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd src && ../$(BIN)/lint-imports --config ../pyproject.toml

typecheck: $(VENV)/.installed
	$(BIN)/mypy src

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
