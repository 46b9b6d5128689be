# Living Wiki: `make run` serves the wiki, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5000
BIN := $(VENV)/bin
# The browser tests run in Debian's Chromium; `make test` installs it when it is missing.
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test lint init clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

init: $(VENV)/.installed
	$(BIN)/flask --app wiki init

run: init
	$(BIN)/gunicorn --workers 2 --bind 127.0.0.1:$(PORT) --no-control-socket --access-logfile - wsgi:app

$(CHROMIUM):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

test: $(VENV)/.installed-dev $(CHROMIUM)
	$(BIN)/ruff check wiki tests bench
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check wiki tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# The benchmark (not part of `make test`): generates content repositories, serves the wiki with
# gunicorn on 127.0.0.1 and prints a table; JSON in bench/out/. wrk comes from Debian.
bench: $(VENV)/.installed-dev
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python bench/run.py
