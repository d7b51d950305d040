# Two commands matter: `make run` and `make test`. Everything else is what they use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint system-deps bench migrate demo clean i18n

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

## Set up and serve the product on SQLite with the embedded worker and sandbox messaging.
## --embedded: random SECRET_KEY/HASH_KEY made once in var/secrets.json, sandbox trust on,
## one process (Werkzeug + the jobs in threads). Deployments use `serve` (gunicorn) instead.
## Sign-up at /signup is on here (ALLOW_SIGNUP=1).
run: export ALLOW_SIGNUP ?= 1
run: $(STAMP)
	$(PY) -m fulfillment --embedded db upgrade
	$(PY) -m fulfillment --embedded demo
	$(PY) -m fulfillment --embedded serve

## Set up and run the whole suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set).
## mypy reads its files and strictness from pyproject.toml ([tool.mypy]).
test: $(STAMP) system-deps
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest -q $(PYTEST_ARGS)

## Debian packages the tests use: zbar (QR decoding), Chromium (console), wrk (bench).
system-deps:
	@missing=""; \
	for pkg in libzbar0 chromium wrk; do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Please install:$$missing (sudo apt-get install$$missing)"; exit 1; fi; \
	fi

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

migrate: $(STAMP)
	$(PY) -m fulfillment --embedded db upgrade

demo: migrate
	$(PY) -m fulfillment --embedded demo --json

bench: $(STAMP) system-deps
	$(PY) bench/run_all.py

## Re-extract the dialog's strings and merge them into the en/de/ru catalogs.
i18n: $(STAMP)
	$(VENV)/bin/pybabel extract -F voice/babel.cfg --no-location --omit-header -o voice/locale/messages.pot .
	$(VENV)/bin/pybabel update -i voice/locale/messages.pot -d voice/locale --width 100 --ignore-obsolete
	$(VENV)/bin/pybabel extract -F fulfillment/babel.cfg -k N_ --no-location --omit-header -o fulfillment/locale/merchant.pot .
	$(VENV)/bin/pybabel update -D merchant -i fulfillment/locale/merchant.pot -d fulfillment/locale --width 100 --ignore-obsolete

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
