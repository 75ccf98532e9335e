# Workforce: `make run` to try it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
#: `make run` installs the service's requirements only; everything else (tests, linters,
#: benchmarks) installs requirements-dev.txt on top. Each stamp is redone when its files change.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
TRANSLATIONS := workforce/translations
POT := $(TRANSLATIONS)/messages.pot
PAY_POT := $(TRANSLATIONS)/pay.pot
EXTRACT := $(BIN)/pybabel -q extract -w 100 --no-location --sort-output --project=Workforce \
	--version=1 --copyright-holder="Workforce contributors"

.PHONY: run test test-fast lint typecheck test-sqlite test-postgres bench clean translations \
	translations-update browser nginx redis-server slip-tools jq haproxy drill

$(RUN_STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	$(MAKE) --no-print-directory translations
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP) requirements-dev.txt
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

## translations: compile the gettext catalogs of both domains (.po -> .mo, not committed)
translations:
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS) -D "messages pay"

## translations-update: extract the strings to translate and merge them into every catalog
translations-update: $(STAMP)
	$(EXTRACT) -F babel.cfg -o $(POT) .
	$(EXTRACT) -k w -k N_ --no-default-keywords -o $(PAY_POT) workforce/pay workforce/i18n.py
	$(BIN)/pybabel -q update -i $(POT) -d $(TRANSLATIONS) -w 100 --ignore-pot-creation-date
	$(BIN)/pybabel -q update -D pay -i $(PAY_POT) -d $(TRANSLATIONS) -w 100 \
		--ignore-pot-creation-date
	$(MAKE) --no-print-directory translations

## browser: Debian's chromium for the end-to-end tests (installed when missing)
browser:
	scripts/ensure-chromium

## nginx: Debian's nginx for the fault tests (reverse proxy in front of gunicorn)
nginx:
	scripts/ensure-nginx

## redis-server: Debian's redis-server for the Redis failure-store tests (installed when missing)
redis-server:
	scripts/ensure-redis-server

## slip-tools: Debian's Noto fonts for the PDF pay slips, and poppler-utils to test them
slip-tools:
	scripts/ensure-slip-tools --test

## haproxy: Debian's haproxy for the failover drill (installed when missing)
haproxy:
	scripts/ensure-haproxy

## jq: Debian's jq for the README test, which runs the walk-through (installed when missing)
jq:
	scripts/ensure-jq

## run: install, migrate the embedded SQLite database, print an admin token, serve + schedule
run: $(RUN_STAMP) translations
	scripts/ensure-slip-tools
	PORT=$(PORT) scripts/run

## test: lint, type-check, then the whole suite on SQLite and on a throwaway PostgreSQL
test: $(STAMP) lint typecheck test-sqlite test-postgres

## test-fast: the inner loop: the suite on SQLite without the slow and browser tests, no lint
test-fast: $(STAMP) translations slip-tools
	$(BIN)/python -m pytest -q -m 'not slow and not browser'

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

test-sqlite: $(STAMP) translations browser nginx redis-server slip-tools jq
	$(BIN)/python -m pytest -q

test-postgres: $(STAMP) translations browser nginx redis-server slip-tools jq haproxy
	scripts/with-postgres $(BIN)/python -m pytest -q

## drill: the failover drill at full size (200,000 events; docs/scaling.md, "The failover drill");
## installs Debian's haproxy and PostgreSQL when missing. EVENTS=5000 make drill for a short one.
drill: $(STAMP) translations haproxy
	scripts/with-postgres true
	scripts/cluster-drill --events $${EVENTS:-200000}

## bench: the benchmarks of bench/, then the HTTP load test (figures go to docs/benchmarks.md)
bench: $(STAMP)
	$(BIN)/python bench/run_all.py
	bench/load.sh 15 4

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
