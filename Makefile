# Spreekuur: `make demo` and `make test` on a fresh machine (see README).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
VENDOR := src/spreekuur/core/static/vendor
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install lock assets messages demo serve test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Exact versions with their hashes from requirements.lock (make lock after changing the
# dependencies in pyproject.toml), then Spreekuur itself without resolving again.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --extra dev --generate-hashes --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

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

# The worker runs beside the web server, as in production: reminders, deliveries to the
# pharmacies and the e-mail/SMS outbox (printed on this console in the demo). Links in
# mails point at the address the demo serves on.
demo: install
	$(BIN)/spreekuur migrate --no-input -v 0
	$(BIN)/spreekuur load_demo
	export SITE_URL=http://$(HOST):$(PORT); \
	$(BIN)/spreekuur worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/spreekuur runserver $(HOST):$(PORT)

# In parallel on both cores (pytest-xdist); TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto
test: install
	$(BIN)/pytest -q -n $(TEST_WORKERS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd src && ../$(BIN)/lint-imports ../pyproject.toml

typecheck: $(VENV)/.installed
	$(BIN)/mypy src

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
