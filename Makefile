# Two commands do everything: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export DEBUG ?= 1

.PHONY: run serve test lint bench install install-dev messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/python manage.py compilemessages --ignore=.venv -v 0
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production-style: DEBUG=0, hashed and compressed static files, gunicorn with
# gunicorn.conf.py (WEB_WORKERS, WEB_THREADS, WEB_BIND). Needs SECRET_KEY and
# ALLOWED_HOSTS (and DATABASE_URL, REDIS_URL, … see docs/deploy.md). Without a
# SECRET_KEY it is a local try: a random key is kept in .local-secret-key
# (gitignored) and HTTPS is not required.
serve: install
	@if [ -z "$$SECRET_KEY" ] && [ ! -s .local-secret-key ]; then \
	  $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > .local-secret-key; \
	  chmod 600 .local-secret-key; fi
	@if [ -z "$$SECRET_KEY" ]; then echo "make serve: no SECRET_KEY, a local try (key in .local-secret-key, plain HTTP)"; fi
	export DEBUG=0; \
	if [ -z "$$SECRET_KEY" ]; then export SECRET_KEY="$$(cat .local-secret-key)" HTTPS="$${HTTPS:-0}"; fi; \
	$(BIN)/python manage.py compilemessages --ignore=.venv -v 0 && \
	$(BIN)/python manage.py migrate --noinput -v 0 && \
	$(BIN)/python manage.py collectstatic --noinput -v 0 && \
	exec $(BIN)/gunicorn -c gunicorn.conf.py

test: install-dev
	$(BIN)/python manage.py compilemessages --ignore=.venv -v 0
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .

# The benchmark against the bare-Django ceiling (not part of `make test`; bench/README.md).
# PostgreSQL with DATABASE_URL=postgres://…, else SQLite at BENCH_SQLITE; an empty database
# is filled by bench/generate.py first. BENCH_ARGS e.g. "--size 10000 --duration 5".
BENCH_SQLITE ?= /tmp/forum-bench.sqlite3
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q wrk; } || \
	  { echo "make bench needs wrk (Debian package): apt-get install wrk" >&2; exit 1; }
	SQLITE_PATH=$${SQLITE_PATH:-$(BENCH_SQLITE)} $(BIN)/python bench/run.py $(BENCH_ARGS)

# Refresh the catalogues after changing UI strings (needs GNU gettext).
messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=tests --ignore=templates/jinja2 --no-obsolete

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* media/
