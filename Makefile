# Two commands on a fresh machine:
#   make run    set up, migrate, load the demo data, start web + worker + beat
#   make test   set up, run the whole test suite (in parallel), mypy, the import rules, the migration check,
#               ruff and the audit

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
# Written after a successful install, so pip runs again only when a requirements file changed.
STAMP := $(VENV)/.requirements.stamp
# Written by npm at each install (npm ci): the test-only node packages are in place.
NODE_STAMP := node_modules/.package-lock.json
# `make run PORT=8001`. Not taken from the environment: shells and hosting set HOST and PORT for their own ends.
HOST := 127.0.0.1
PORT := 8000
PYTEST_ARGS :=
# pytest-xdist processes for `make test`: auto is one per core; TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS := auto
DEMO_CASES := 20000

# Django 6 needs Python >= 3.12. Candidates are run, not just found: a pyenv
# shim exists for every installed version but fails unless that version is active.
define FIND_PYTHON
ok() { "$$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }; \
if [ -n "$${PYTHON:-}" ]; then \
	if ok "$$PYTHON"; then echo "$$PYTHON"; exit 0; fi; \
	echo "PYTHON=$$PYTHON is not a working Python 3.12 or newer." >&2; exit 1; \
fi; \
for name in python3.14 python3.13 python3.12; do \
	p=$$(command -v $$name) && ok "$$p" && { echo "$$p"; exit 0; }; \
done; \
for p in $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 /usr/bin/python3.1[2-9] 2>/dev/null | sort -rV); do \
	ok "$$p" && { echo "$$p"; exit 0; }; \
done; \
echo "No Python 3.12 or newer found (Django 6 requires it)." >&2; \
echo "Install one (e.g. 'pyenv install 3.12' or your distribution's python3.12) or run: make PYTHON=/path/to/python3.12 ..." >&2; \
exit 1
endef

.PHONY: help setup run test audit lint format migrate seed worker beat clean

help:
	@echo "make run    set up, migrate, load demo data, start web + worker + beat on http://$(HOST):$(PORT)/"
	@echo "make test   set up, run the tests in parallel, mypy, the import rules, the migration check, ruff and the audit"
	@echo "           TEST_WORKERS=N processes (auto: one per core, 0: none); PYTEST_ARGS=... more pytest options,"
	@echo "           e.g. --create-db (the test databases are otherwise kept between runs)"
	@echo "make setup  create .venv, install requirements, create .env"
	@echo "make audit  pip-audit (known vulnerabilities in the pinned packages) and bandit"
	@echo "           without a reachable vulnerability service it says NOT AUDITED and passes;"
	@echo "           AUDIT_REQUIRE_SERVICE=1 makes that a failure. A known vulnerability always fails."
	@echo "make screenshots  redraw docs/screenshots/*.png (the README's pictures) from the browser journeys"
	@echo "make lint / make format / make clean"

# The .mo catalogues are built, not committed; the command only redoes changed ones.
setup: $(STAMP) .env $(NODE_STAMP)
	@$(MANAGE) compiletranslations

# Test-only front-end tools (axe-core for the accessibility checks) from package-lock.json.
# npm's own record of the install is the stamp: `npm ci` runs again when the lockfile changes
# or node_modules is gone. Without npm the portal still runs; the checks then skip (fail in CI).
$(NODE_STAMP): package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --ignore-scripts --no-audit --no-fund && touch $@; \
	else \
		echo "npm not found: node_modules (axe-core, for the accessibility tests) not installed." >&2; \
	fi

$(PY):
	@py=$$( $(FIND_PYTHON) ) || exit 1; \
	echo "Creating $(VENV) with $$py ($$($$py -V 2>&1))"; \
	"$$py" -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || { \
		echo "$(VENV) was made with $$($(PY) -V 2>&1); Django 6 needs 3.12+. Remove it (rm -rf $(VENV)) and run make again." >&2; \
		exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# Order-only on the example: editing .env.example must never overwrite a developer's .env.
.env: | .env.example $(PY)
	@key=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))'); \
	sed -e 's/^DEBUG=.*/DEBUG=1/' -e "s/^SECRET_KEY=.*/SECRET_KEY=$$key/" .env.example > $@.tmp && mv $@.tmp $@
	@echo "Created .env (DEBUG=1, new SECRET_KEY)."

migrate: setup
	$(MANAGE) migrate --noinput

# Enough cases that every demo login has work in its queue and the dashboard has
# figures (about 5 s on SQLite); a second run adds nothing. `make run DEMO_CASES=0`
# for the accounts and the city only.
seed: migrate
	$(MANAGE) seed_demo --cases $(DEMO_CASES)
	$(MANAGE) rebuild_rollups

# honcho runs the three processes together and Ctrl-C stops them all. Settings
# read .env themselves; `--env /dev/null` stops honcho from letting .env override
# the real environment. Honcho hands the web process PORT.
run: seed
	@echo
	@echo "  Portal:   http://$(HOST):$(PORT)/"
	@echo "  Admin:    http://$(HOST):$(PORT)/admin/"
	@echo "  API docs: http://$(HOST):$(PORT)/api/docs/"
	@echo "  Ctrl-C stops web, worker and beat."
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" PYTHONUNBUFFERED=1 HOST=$(HOST) \
		exec $(BIN)/honcho --env /dev/null --procfile Procfile.dev start --port $(PORT)

worker: setup
	$(BIN)/celery -A config worker -l info --pool=threads -c 2 -Q celery

beat: setup
	$(BIN)/celery -A config beat -l info

# Runs every check even when one fails, so one run shows everything; the exit
# status is non-zero if any failed (pytest's 5, "no tests collected", included).
# The tests use config/settings_test.py: the environment, never .env (PostgreSQL and Redis only
# when DATABASE_URL / REDIS_URL / CELERY_BROKER_URL are exported, as .ci/run does).
test: setup
	@status=0; \
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS) || status=1; \
	echo "--- mypy (configuration: pyproject.toml)"; \
	$(BIN)/mypy || status=1; \
	echo "--- import rules (lint-imports; contracts: pyproject.toml)"; \
	$(BIN)/lint-imports || status=1; \
	echo "--- makemigrations --check"; \
	$(MANAGE) makemigrations --check --dry-run || status=1; \
	echo "--- ruff"; \
	$(BIN)/ruff check . || status=1; \
	$(AUDIT) || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED" >&2; fi; \
	exit $$status

# Supply chain (docs/security.md, "Supply chain"). pip-audit asks the vulnerability service (PyPI's, or
# PIP_AUDIT_SERVICE=osv) about every pinned package of requirements.txt and requirements-dev.txt.
# A known vulnerability always fails. Where the service cannot be asked about every package (no
# network, service down, a registry mirror without PyPI's advisory pages) nothing is known about
# the rest: the audit says "NOT AUDITED" instead of "no known vulnerabilities" and passes, so
# `make test` works on a fresh machine; AUDIT_REQUIRE_SERVICE=1 makes that a failure (.ci/run sets
# it where a service answers). bandit scans the project's code (configuration and exceptions:
# pyproject.toml).
PIP_AUDIT_SERVICE ?= pypi
AUDIT_REQUIRE_SERVICE ?= 0
PIP_AUDIT := $(BIN)/pip-audit
define AUDIT
{ audit_status=0; \
echo "--- pip-audit (requirements.txt, requirements-dev.txt; service: $(PIP_AUDIT_SERVICE))"; \
out=$$($(PIP_AUDIT) --no-deps --disable-pip --progress-spinner off -s $(PIP_AUDIT_SERVICE) -r requirements-dev.txt 2>&1); rc=$$?; \
out=$$(printf '%s\n' "$$out" | grep -v 'hash\|pip-compile'); \
unchecked=$$(printf '%s\n' "$$out" | grep -c 'could not be audited'); \
if [ $$rc -ne 0 ] && printf '%s\n' "$$out" | grep -q '^Found [0-9]* known vulnerabilit'; then \
	printf '%s\n' "$$out"; \
	echo "pip-audit FAILED: a pinned package has a known vulnerability (above)." >&2; \
	audit_status=1; \
elif [ $$rc -ne 0 ] || [ $$unchecked -gt 0 ]; then \
	if [ $$rc -ne 0 ]; then \
		why="the $(PIP_AUDIT_SERVICE) vulnerability service did not answer ($$(printf '%s\n' "$$out" | tail -n 1))"; \
	else \
		why="the $(PIP_AUDIT_SERVICE) vulnerability service could not be asked about $$unchecked pinned package(s) ($$(printf '%s\n' "$$out" | grep -m 1 -o 'Dependency.*could not be audited'))"; \
	fi; \
	if [ "$(AUDIT_REQUIRE_SERVICE)" = 1 ]; then \
		printf '%s\n' "$$out"; \
		echo "pip-audit FAILED: NOT AUDITED - $$why, and AUDIT_REQUIRE_SERVICE=1." >&2; \
		audit_status=1; \
	else \
		echo "pip-audit: NOT AUDITED - $$why. Passing; AUDIT_REQUIRE_SERVICE=1 would fail here." >&2; \
	fi; \
else \
	printf '%s\n' "$$out"; \
fi; \
echo "--- bandit"; \
$(BIN)/bandit -c pyproject.toml -r . -q 2>/dev/null || { echo "bandit FAILED (see above; exceptions are listed in pyproject.toml)" >&2; audit_status=1; }; \
[ $$audit_status -eq 0 ]; }
endef

audit: setup
	@$(AUDIT)

# The README's pictures: the Chinese browser journey (tests/browser/test_journeys.py) runs with a
# live worker on whatever DATABASE_URL / CELERY_BROKER_URL say (SQLite and the embedded broker by
# default), saving its screens; then the dashboard and the big screen (大屏) are taken at 1920×1080
# with the demo city (tests/browser/test_dashboard_charts.py, seed_demo), replacing the journey's
# dashboard; the chosen few are copied into docs/screenshots/.
SCREENSHOTS := form tracking queue case agreement dashboard bigscreen
.PHONY: screenshots
screenshots: setup
	@rm -rf var/screenshots
	SCREENSHOT_DIR=$(CURDIR)/var/screenshots $(PY) -m pytest -q -p no:cacheprovider tests/browser/test_journeys.py -k zh-hans
	SCREENSHOT_DIR=$(CURDIR)/var/screenshots $(PY) -m pytest -q -p no:cacheprovider tests/browser/test_dashboard_charts.py -k pictures
	@mkdir -p docs/screenshots
	@for name in $(SCREENSHOTS); do cp var/screenshots/$$name.png docs/screenshots/$$name.png; done
	@ls -l $(foreach name,$(SCREENSHOTS),docs/screenshots/$(name).png)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
