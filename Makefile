# Quick start: `make run` and `make test`. Everything lives in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test screenshots lint lint-js install migrate bench clean messages vendor-js

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

run: migrate
	$(BIN)/python manage.py demo_setup
	PORT=$(PORT) BIN=$(BIN) sh scripts/run.sh

test: install
	$(BIN)/python -m pytest

# Rewrites the committed docs/screenshots/ from the browser tests (a plain test run does not).
screenshots: install
	CC_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser tests/widget

# Re-extract the translatable texts into locale/*/LC_MESSAGES/*.po and compile the .mo files
# (README "Languages"; needs GNU gettext). Translate the new entries, then run it again.
messages: install
	scripts/i18n.sh

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy .
	$(MAKE) --no-print-directory lint-js

# ESLint and the type check of the front end's modules (npm packages pinned in package.json,
# installed with `npm ci`). Without node_modules it skips, except under CI=true.
lint-js:
	@if [ -x node_modules/.bin/eslint ]; then \
	  node_modules/.bin/eslint . && node_modules/.bin/tsc -p jsconfig.json; \
	elif [ "$$CI" = "true" ]; then \
	  echo "lint-js: CI=true but node_modules is missing (run npm ci)" >&2; exit 1; \
	else \
	  echo "lint-js: skipped ESLint and tsc (node_modules is missing: run npm ci)"; \
	fi

# Copy the pinned charting library (package.json) from node_modules into static/vendor/ (committed).
vendor-js:
	sh scripts/vendor_js.sh

clean:
	rm -rf $(VENV) db.sqlite3 db.secret-key .pytest_cache .mypy_cache .ruff_cache
