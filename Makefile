# One entry point for running, testing and checking the portal. `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# The interpreter version the project runs on (major.minor), from .python-version.
PYTHON_VERSION := $(shell cut -d. -f1,2 .python-version)
# Locale folders that are not ours: compilemessages and makemessages walk the whole tree.
I18N_IGNORE := --ignore=.venv --ignore=var --ignore=node_modules --ignore=static --ignore=tests
# `make test PYTEST_ARGS='-k invitation'` narrows the run.
PYTEST_ARGS ?=
# A throwaway production configuration for the deployment checks of `make lint`. The checks
# connect to neither the database nor Redis: these only have to be well-formed.
LINT_SECRET_KEY := lint-only-not-a-real-secret-2f9c7e1ab84d06e35c1f9a7b2d48e6c0
LINT_DATABASE_URL := postgres://lint:lint@db.invalid:5432/lint
LINT_REDIS_URL := redis://redis.invalid:6379/0
CHROMIUM := /usr/bin/chromium

.PHONY: help venv lock lock-upgrade run totp test lint audit format worker beat bench messages clean

help:
	@echo "make run       set everything up and serve the portal on http://127.0.0.1:8000"
	@echo "make test      run the whole test suite (browser tests included)"
	@echo "make lint      ruff, format check, migrations check, layering contract, deploy checks"
	@echo "make audit     bandit and pip-audit (part of make lint)"
	@echo "make format    apply ruff's fixes and formatting"
	@echo "make totp      print the current two-factor code of the demo staff (development)"
	@echo "make worker    run a Celery worker for the default, exports and webhooks queues"
	@echo "make beat      run the Celery beat scheduler"
	@echo "make bench     run the benchmark scripts in bench/"
	@echo "make messages  update and compile the Simplified Chinese translations"
	@echo "make venv      create $(VENV) with Python $(PYTHON_VERSION) and install exactly uv.lock"
	@echo "make lock      write uv.lock (and requirements.lock) from pyproject.toml (make lock-upgrade: newest pins)"

# The virtualenv is rebuilt from the interpreter named by .python-version: `python3` when it is
# that version (pyenv resolves it from .python-version), otherwise `python3.13`.
$(PY):
	@python=""; \
	for candidate in python3 python$(PYTHON_VERSION); do \
		if command -v "$$candidate" >/dev/null 2>&1 && "$$candidate" -c \
			'import sys; v = "$(PYTHON_VERSION)".split("."); sys.exit(sys.version_info[:2] != (int(v[0]), int(v[1])))' \
			2>/dev/null; then python="$$candidate"; break; fi; \
	done; \
	if [ -z "$$python" ]; then \
		echo "Python $(PYTHON_VERSION) was not found (tried python3, python$(PYTHON_VERSION))." >&2; \
		echo "Install it, e.g. 'pyenv install $(PYTHON_VERSION)', and run make again." >&2; \
		exit 1; \
	fi; \
	echo "Creating $(VENV) with $$("$$python" --version)"; \
	"$$python" -m venv $(VENV)

# Installs exactly uv.lock (`uv sync --locked`): every package pinned with its hashes, for
# every platform, written by `make lock` from [project].dependencies and the dev group of
# pyproject.toml. `--locked` refuses a lock that no longer matches pyproject.toml (a dependency
# added without `make lock`). uv itself is bootstrapped with pip from requirements.lock, the
# same pins exported as an ordinary hashed requirements file (`pip install --require-hashes -r
# requirements.lock` reproduces the install without uv).
$(VENV)/.installed: uv.lock pyproject.toml requirements.lock | $(PY)
	awk '/^uv==/ {p = 1; print; next} p && /^    / {print; next} {p = 0}' requirements.lock \
		> $(VENV)/uv-requirement.txt
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(VENV)/uv-requirement.txt
	UV_PROJECT_ENVIRONMENT=$(VENV) $(VENV)/bin/uv sync --locked --python $(PY) --quiet
	@touch $@

# Writes uv.lock from pyproject.toml (pins already locked are kept; `make lock-upgrade` moves
# every pin to the newest allowed), then exports it as requirements.lock.
EXPORT = $(VENV)/bin/uv export --frozen --format requirements-txt --no-emit-project --all-groups \
	--quiet
EXPORT_COMMAND = $(EXPORT) -o requirements.lock

$(VENV)/bin/uv: | $(PY)
	$(PY) -m pip install --quiet "uv>=0.13,<0.14"

lock: | $(VENV)/bin/uv
	$(VENV)/bin/uv lock --quiet
	$(EXPORT_COMMAND)
	@echo "uv.lock and requirements.lock written; commit them with pyproject.toml"

lock-upgrade: | $(VENV)/bin/uv
	$(VENV)/bin/uv lock --upgrade --quiet
	$(EXPORT_COMMAND)

venv: $(VENV)/.installed

run: venv
	$(MANAGE) migrate --no-input
	@if command -v msgfmt >/dev/null 2>&1; then \
		$(MANAGE) compilemessages $(I18N_IGNORE) --verbosity 0; \
	else \
		echo "msgfmt not found (apt-get install gettext): using the committed .mo files"; \
	fi
	$(MANAGE) seed_demo
	@echo "Serving on http://127.0.0.1:8000  (demo password: demo-pass-2026; see README)"
	$(MANAGE) runserver 127.0.0.1:8000

totp: venv
	@$(MANAGE) demo_totp

# Browser tests need Chromium. As root it is installed with apt; otherwise they skip with a reason.
test: venv
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else \
			echo "Chromium is missing at $(CHROMIUM) and cannot be installed without root:" \
				"browser tests will be skipped (sudo apt-get install chromium)"; \
		fi; \
	fi
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/uv lock --locked --quiet
	@$(EXPORT) | grep -v '^#' | diff -q - <(grep -v '^#' requirements.lock) >/dev/null \
		|| { echo "requirements.lock is not the export of uv.lock: run make lock" >&2; exit 1; }
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run
	$(VENV)/bin/lint-imports
	DJANGO_SETTINGS_MODULE=procurement.settings.production \
		DJANGO_SECRET_KEY=$(LINT_SECRET_KEY) \
		DJANGO_ALLOWED_HOSTS=portal.example.com \
		EMAIL_HOST=smtp.example.com \
		DATABASE_URL=$(LINT_DATABASE_URL) \
		CELERY_BROKER_URL=$(LINT_REDIS_URL) \
		CACHE_URL=$(LINT_REDIS_URL) \
		STORE_SECRETS_KEY=lint-only-store-secrets-key \
		$(MANAGE) check --deploy --fail-level WARNING
	$(MAKE) --no-print-directory audit

# Security checks, part of `make lint`. bandit: medium and high findings in the apps fail (its
# exclusions are in pyproject.toml). pip-audit: a known vulnerability in an installed package
# fails; when the vulnerability data cannot be had (no network, or the index answers no package),
# it says so loudly and does not fail, since that says nothing about the dependencies.
audit: venv
	$(VENV)/bin/bandit -c pyproject.toml -r procurement catalog orders payments logistics -ll -q
	@status=0; \
	$(VENV)/bin/pip-audit --progress-spinner off --skip-editable > $(VENV)/pip-audit.txt 2>&1 \
		|| status=$$?; \
	cat $(VENV)/pip-audit.txt; \
	if grep -qE "^Found [0-9]+ known vulnerabilit" $(VENV)/pip-audit.txt; then \
		echo "pip-audit: known vulnerabilities above: upgrade, or explain each in the README" >&2; \
		exit 1; \
	elif [ "$$status" != 0 ] || grep -q "could not be audited" $(VENV)/pip-audit.txt; then \
		echo "pip-audit: WARNING: the vulnerability data was not reachable for" \
			"$$(grep -c 'could not be audited' $(VENV)/pip-audit.txt || true) package(s);" \
			"those packages were NOT audited (not a failure: run again with network access)"; \
	fi

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Workers and beat need a broker; Redis on localhost unless CELERY_BROKER_URL says otherwise.
# Start the web process with the same CELERY_BROKER_URL, or it runs tasks in-process.
worker: venv
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0} \
		$(VENV)/bin/celery -A procurement worker -Q default,exports,webhooks --loglevel INFO

beat: venv
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0} \
		$(VENV)/bin/celery -A procurement beat --loglevel INFO --schedule var/celerybeat-schedule

bench: venv
	@found=0; \
	for script in bench/*.py; do \
		[ -e "$$script" ] || continue; \
		case "$$(basename "$$script")" in _*) continue;; esac; \
		found=1; \
		echo "==> $$script"; \
		PYTHONPATH=. $(PY) "$$script"; \
	done; \
	if [ "$$found" = 0 ]; then echo "No benchmark scripts in bench/"; fi

messages: venv
	$(MANAGE) makemessages --locale zh_Hans --domain django $(I18N_IGNORE) --no-obsolete
	$(MANAGE) compilemessages --locale zh_Hans $(I18N_IGNORE)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
