# Everyday commands. `make run` for the demo site, `make test` for the whole suite.
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PY := .venv/bin/python

.PHONY: install run test lint migrate messages worker beat bench-import ci

install:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen

migrate: install
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py seed_demo
	@echo "Site: http://127.0.0.1:8000/  (Ctrl+C stops it; without STRIPE_* keys, Stripe test mode on localstripe)"
	$(PY) manage.py run_demo 127.0.0.1:8000

test: install
	$(PY) -m pytest

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports

# After changing debtor-facing text: refresh the Spanish catalogue, translate, compile.
messages: install
	$(PY) manage.py makemessages -l es --ignore='.venv/*' --ignore='tests/*' --ignore='bench/*'
	$(PY) manage.py compilemessages --ignore='.venv/*'

# Both queues: "celery" (webhooks, messages) and the low-priority "documents" (PDFs).
worker: install
	.venv/bin/celery -A portal worker -Q celery,documents --loglevel=info

beat: install
	.venv/bin/celery -A portal beat --loglevel=info

bench-import: install
	$(PY) bench/import_portfolio.py $(or $(N),100000)

ci:
	bash .ci/run
