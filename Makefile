# Folio: `make run` serves a demo CMS, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTANCE := instance
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install bench clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

AXE_VERSION := 4.11.0

# reinstall only when the dependency list changes; axe-core (npm) checks the admin's accessibility in tests
$(VENV)/.installed: setup.cfg pyproject.toml Makefile | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	@if command -v npm >/dev/null; then \
	  npm install --silent --no-audit --no-fund --no-save --prefix $(VENV)/npm axe-core@$(AXE_VERSION); \
	else echo "npm not found: the admin's accessibility checks will be skipped (CI fails instead)"; fi
	touch $@

install: $(VENV)/.installed

run: install
	@mkdir -p $(INSTANCE)
	@if [ ! -f $(INSTANCE)/admin-login.txt ]; then \
	  password=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(12))'); \
	  $(BIN)/folio init --admin-email admin@example.com --admin-password "$$password" > $(INSTANCE)/init.log || { cat $(INSTANCE)/init.log; exit 1; }; \
	  { echo "Admin login:    admin@example.com / $$password"; grep 'API token' $(INSTANCE)/init.log | sed 's/ (shown once, keep it safe)//'; } > $(INSTANCE)/admin-login.txt; \
	  chmod 600 $(INSTANCE)/admin-login.txt; \
	else $(BIN)/folio db upgrade > /dev/null; fi
	@$(BIN)/folio seed demo
	@echo; cat $(INSTANCE)/admin-login.txt; echo "Admin:          http://$(HOST):$(PORT)/admin"; echo "Content API:    http://$(HOST):$(PORT)/api/content/article"; echo
	@echo "Worker log:     $(INSTANCE)/worker.log (webhooks, scheduled publishing)"; echo
	$(BIN)/folio worker > $(INSTANCE)/worker.log 2>&1 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/folio run --host $(HOST) --port $(PORT)

# SQLite always; PostgreSQL too when FOLIO_TEST_DATABASE_URL names a server (CI must). The two runs
# go side by side (one core each); their full logs are kept in build/. The browser tests of the admin
# run once, in the SQLite run (they drive the UI; what they call is tested on both engines), which
# keeps the two runs about as long as each other.
test: install
	@if [ -n "$$FOLIO_TEST_DATABASE_URL" ]; then \
	  mkdir -p build; \
	  echo "== SQLite and $$FOLIO_TEST_DATABASE_URL side by side (build/test-sqlite.log, build/test-postgresql.log)"; \
	  env -u FOLIO_TEST_DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS) > build/test-sqlite.log 2>&1 & lite=$$!; \
	  $(BIN)/pytest -m "not browser" $(PYTEST_ARGS) > build/test-postgresql.log 2>&1; pg=$$?; \
	  wait $$lite; sqlite=$$?; \
	  echo "== SQLite (exit $$sqlite)"; tail -n 40 build/test-sqlite.log; \
	  echo "== PostgreSQL (exit $$pg)"; tail -n 40 build/test-postgresql.log; \
	  [ $$sqlite -eq 0 ] && [ $$pg -eq 0 ]; \
	elif [ "$$CI" = "true" ]; then \
	  echo "CI must run the suite on PostgreSQL too: set FOLIO_TEST_DATABASE_URL" >&2; exit 1; \
	else \
	  $(BIN)/pytest $(PYTEST_ARGS); \
	fi

# the README's pictures of the admin, taken by the browser tests as they walk through it
screenshots: install
	rm -rf docs/screenshots
	FOLIO_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q -p no:cacheprovider tests/admin

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
