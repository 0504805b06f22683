# Délibre — the two set-up commands are `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PKI_DIR ?= var/pki
PKI_PORT ?= 9000

.PHONY: run test install migrate demo lint format typecheck messages compilemessages scenario worker beat clean \
	integration backup restore bench guide-images security-matrix e2e

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Délibre needs Python 3.11 (found %s)" % sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py demo --pki $(PKI_DIR) --pki-port $(PKI_PORT)

# Install, migrate the embedded SQLite database, load the demo data and its signing keys, and
# serve the app; the demo PKI's TSA, OCSP and CRLs are served on loopback meanwhile.
run: demo
	@echo "Délibre is served on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	@$(BIN)/python -m signing.pki serve --dir $(PKI_DIR) & pki=$$!; \
	trap 'kill $$pki 2>/dev/null' EXIT INT TERM; \
	DELIBRE_SEAL_PKCS12=$(abspath $(PKI_DIR))/p12/seal.p12 DELIBRE_SEAL_PASSWORD=demo \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Install and run the whole test suite (SQLite by default; set DATABASE_URL for PostgreSQL).
test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy config core deliberations workflow signing exports

messages: install
	$(BIN)/python manage.py makemessages --locale fr --ignore ".venv/*" --ignore "tests/*" --ignore "bench/*" --no-obsolete

compilemessages: install
	$(BIN)/python manage.py compilemessages --ignore ".venv/*"

scenario: migrate
	$(BIN)/python manage.py scenario --out out/scenario

# Celery (needs CELERY_BROKER_URL): one worker on both queues; see docs/deployment.md to split
# them (WORKER_QUEUES=signing on the machine holding the seal's token).
WORKER_QUEUES ?= default,signing
worker: install
	$(BIN)/celery -A config worker --loglevel INFO -Q $(WORKER_QUEUES)

beat: install
	$(BIN)/celery -A config beat --loglevel INFO

# The tests with a real Redis broker and Celery worker (need DATABASE_URL=postgres://… and Redis on
# 127.0.0.1:6379); they are also part of `make test` and skipped, with the reason, without them.
integration: install
	$(BIN)/python -m pytest -q -m integration tests/integration $(PYTEST_ARGS)

# The browser tests (Playwright driving Debian's Chromium, /usr/bin/chromium, against the app
# served on loopback); part of `make test` too, skipped with the reason without Chromium.
# Screenshots of each step go to tests/e2e/artefacts/ (DELIBRE_E2E_ARTEFACTS to change).
e2e: install
	$(BIN)/python -m pytest -q -m e2e tests/e2e $(PYTEST_ARGS)

# The user guide's screenshots (docs/guide/img/), taken by the browser tests on the demo commune.
guide-images: install
	DELIBRE_GUIDE_IMAGES=$(CURDIR)/docs/guide/img $(BIN)/python -m pytest -q tests/e2e/test_guide_screenshots.py

# Database (pg_dump or SQLite's online backup), files and journal anchor head into
# $(BACKUP_DIR)/<time>/ with a manifest of SHA-256 sums (copy it off the machine);
# restore with make restore BACKUP=dir [RESTORE_ARGS=--force]. docs/deployment.md.
BACKUP_DIR ?= var/backups
backup: install
	$(BIN)/python manage.py backup --out $(BACKUP_DIR)

restore: install
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=var/backups/<time>"; exit 2; }
	$(BIN)/python manage.py restore $(BACKUP) $(RESTORE_ARGS)

# Every benchmark at modest sizes (a few minutes); writes docs/performance.md.
bench: install
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

# Regenerate the authorisation matrix (tests/security/matrix.json and its table in
# docs/security.md) after a deliberate change of permissions; review the diff before committing.
security-matrix: install
	DELIBRE_WRITE_MATRIX=1 $(BIN)/python -m pytest -q tests/security/test_matrix.py -p no:cacheprovider

clean:
	rm -rf $(VENV) var out .pytest_cache .ruff_cache .mypy_cache
