# Délibre — the two set-up commands are `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PKI_DIR ?= var/pki
PKI_PORT ?= 9000

.PHONY: run test install migrate demo lint format typecheck messages compilemessages scenario worker beat clean

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

worker: install
	$(BIN)/celery -A config worker --loglevel INFO

beat: install
	$(BIN)/celery -A config beat --loglevel INFO

clean:
	rm -rf $(VENV) var out .pytest_cache .ruff_cache .mypy_cache
