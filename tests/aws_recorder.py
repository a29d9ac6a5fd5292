"""Records every AWS operation the test suite makes, by the Lambda runtime that makes it (issue 22).

A pytest plugin (tests/conftest.py loads it). It adds one handler to botocore's built-in handler
list, so every botocore session created in this process (boto3's, PynamoDB's) emits to it:

- ``before-parameter-build``: every API call, with its parameters (the table, the index, the
  kinds of a ``TransactWriteItems``' parts, the bucket and key, the sender...);
- ``before-sign`` with a presign-post context: an S3 presigned POST (no API call is made; the
  browser's upload later is authorized as ``s3:PutObject`` by the role that signed it).

Which runtime makes a call is read from the Python stack at the time of the call: the entry
points below are the code each Lambda function of template.yaml runs (a Django request is the
HTTP function; a ``manage.py`` command that ``voldash_site.lambda_ops.ALLOWED`` lets the ops
function run is the ops function; the workers' use cases are their workers). A call with several
entry points on its stack belongs to each (``manage.py deliver_outbox`` runs the outbox worker's
use case: the ops role and the worker role both need it). Calls made by test code itself (table
setup, assertions) have no entry point and are counted, not kept.

The distinct calls are kept in ``infra/aws-calls.json`` (committed). At the end of a run:

- a call not in the file: the file is rewritten (the union) and the run fails, so a new call is
  never missed by tests/test_iam_calls.py, which evaluates the file against the templates;
- a full run (every test collected and none deselected) that no longer makes a call in the file
  says so; with ``AWS_CALLS_PRUNE=1`` the file is rewritten to what was recorded and the run fails
  (rare paths, such as a lost answer's witness read under load, would otherwise make quiet runs
  fail).
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "infra" / "aws-calls.json"

# (path suffix of the file, function name) -> runtime. Paths use "/" on every platform.
ENTRY_POINTS: dict[tuple[str, str], str] = {
    ("django/core/handlers/base.py", "get_response"): "http",
    ("voldash_site/lambda_handler.py", "handler"): "http",
    ("voldash_site/lambda_ops.py", "handler"): "ops",
    ("voldash_site/lambda_workers.py", "outbox_handler"): "outbox",
    ("voldash_site/lambda_workers.py", "inbox_handler"): "inbox",
    ("voldash_site/lambda_workers.py", "reconcile_handler"): "reconcile",
    ("integrations/outbox/delivery.py", "deliver_due"): "outbox",
    ("integrations/outbox/delivery.py", "deliver_ids"): "outbox",
    ("integrations/inbox/processing.py", "process_inbox"): "inbox",
    ("integrations/clickup/sweep_run.py", "run_sweep"): "reconcile",
    ("tasks/upkeep/use_cases.py", "remind_stale_claims"): "reconcile",
    ("tasks/upkeep/use_cases.py", "send_shop_digests"): "reconcile",
    ("tasks/upkeep/use_cases.py", "announce_pm_due"): "reconcile",
    # The SES e-mail backend (settings.EMAIL_BACKEND in the cloud) sends the HTTP function's
    # magic-link mails; no other function sends e-mail.
    ("integrations/email/ses.py", "send_messages"): "http",
}
# The Lambda functions of template.yaml, by handler: the runtime names used here.
HANDLER_RUNTIMES = {
    "voldash_site.lambda_handler.handler": "http",
    "voldash_site.lambda_workers.outbox_handler": "outbox",
    "voldash_site.lambda_workers.inbox_handler": "inbox",
    "voldash_site.lambda_workers.reconcile_handler": "reconcile",
    "voldash_site.lambda_ops.handler": "ops",
}
# voldash_site/settings.py loads the secret at every cold start, in every function.
EVERY_RUNTIME = ("http", "outbox", "inbox", "reconcile", "ops")
COLD_START = ("voldash_site/cloud_secrets.py", "load_secrets")
COMMAND = ("django/core/management/base.py", "execute")
# Runs against a local DynamoDB only: `ddb_create_table` refuses to create or change a table in
# AWS (the cloud table is CloudFormation's), so its calls belong to no Lambda function.
LOCAL_ONLY = ("voldash_site/dynamodb/provision.py", "ensure_table")

_HEX_TOKEN = re.compile(r"[0-9a-f]{16,}")


def _ops_commands() -> set[str]:
    # Imported lazily: lambda_ops sets Django up on import.
    source = (ROOT / "voldash_site" / "lambda_ops.py").read_text(encoding="utf-8")
    block = source.split("ALLOWED:", 1)[1].split("\n}\n", 1)[0]
    return set(re.findall(r'^\s+"([a-z_]+)":', block, re.M))


class Recorder:
    def __init__(self) -> None:
        self.calls: set[str] = set()  # JSON of each distinct entry
        self.unattributed = 0
        self.total = 0
        self.ops_commands = _ops_commands()
        self._lock = threading.Lock()

    # --- who is calling ---------------------------------------------------------------------
    def runtimes(self) -> set[str]:
        found: set[str] = set()
        frame = sys._getframe(2)
        while frame is not None:
            code = frame.f_code
            path = code.co_filename.replace(os.sep, "/")
            name = code.co_name
            for (suffix, function), runtime in ENTRY_POINTS.items():
                if name == function and path.endswith(suffix):
                    found.add(runtime)
            if name == LOCAL_ONLY[1] and path.endswith(LOCAL_ONLY[0]):
                return set()
            if name == COLD_START[1] and path.endswith(COLD_START[0]):
                found.update(EVERY_RUNTIME)
            if name == COMMAND[1] and path.endswith(COMMAND[0]):
                command = type(frame.f_locals.get("self")).__module__.rsplit(".", 1)[-1]
                found.add("ops" if command in self.ops_commands else "local")
            frame = frame.f_back
        found.discard("local")
        return found

    # --- what is called ---------------------------------------------------------------------
    @staticmethod
    def _table(name: str) -> str:
        """The app's one table, whatever a test named it (the table items are configured on)."""
        from tests.conftest import TEST_TABLE
        from voldash_site.dynamodb.items import TableItem

        return "$Table" if name in (TEST_TABLE, TableItem.Meta.table_name) else name

    def describe(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {"service": service, "operation": operation}
        if service == "dynamodb":
            if "TableName" in params:
                entry["table"] = self._table(params["TableName"])
            if params.get("IndexName"):
                entry["index"] = params["IndexName"]
            if operation in ("TransactWriteItems", "TransactGetItems"):
                entry["parts"] = sorted(
                    {
                        f"{kind}:{self._table(body['TableName'])}"
                        for item in params.get("TransactItems", [])
                        for kind, body in item.items()
                    }
                )
            if operation in ("BatchGetItem", "BatchWriteItem"):
                parts = set()
                for table, requests in (params.get("RequestItems") or {}).items():
                    if operation == "BatchGetItem":
                        parts.add(f"Get:{self._table(table)}")
                    else:
                        parts |= {f"{kind}:{self._table(table)}" for r in requests for kind in r}
                entry["parts"] = sorted(parts)
        elif service == "s3":
            entry["bucket"] = self._bucket(params.get("Bucket", ""))
            if "Key" in params:
                entry["key"] = _HEX_TOKEN.sub("{token}", params["Key"])
        elif service == "sesv2":
            entry["from"] = self._sender(params.get("FromEmailAddress", ""))
        elif service == "secretsmanager":
            # The app reads exactly one secret, the one VOLDASH_SECRETS_ID names (cloud_secrets).
            entry["secret"] = "$AppSecrets"
        return entry

    @staticmethod
    def _bucket(name: str) -> str:
        from django.conf import settings

        return "$UploadsBucket" if name and name == settings.UPLOADS_BUCKET else name

    @staticmethod
    def _sender(address: str) -> str:
        from django.conf import settings

        bare = parseaddr(address)[1]
        return "$EmailFromAddress" if bare == parseaddr(settings.EMAIL_FROM)[1] else bare

    def add(self, service: str, operation: str, params: dict[str, Any]) -> None:
        runtimes = self.runtimes()
        with self._lock:
            self.total += 1
            if not runtimes:
                self.unattributed += 1
                return
            entry = self.describe(service, operation, params)
            for runtime in runtimes:
                self.calls.add(json.dumps({"runtime": runtime, **entry}, sort_keys=True))

    # --- botocore handlers --------------------------------------------------------------------
    def before_parameter_build(
        self, params: dict[str, Any], model: Any, context: Any = None, **_: Any
    ) -> None:
        if (context or {}).get("is_presign_request"):
            return  # a presigned URL or POST makes no call; the POST is recorded at signing
        self.add(model.service_model.service_name, model.name, params)

    def before_sign(self, request: Any, operation_name: str, **_: Any) -> None:
        fields = (getattr(request, "context", None) or {}).get("s3-presign-post-fields")
        if fields is None:
            return
        bucket = re.match(r"https?://([^./]+)\.s3[.-]", request.url)
        name = bucket.group(1) if bucket else request.url.rstrip("/").rsplit("/", 1)[-1]
        self.add("s3", "PresignedPost", {"Bucket": name, "Key": fields.get("key", "")})

    # --- the record -----------------------------------------------------------------------------
    def entries(self) -> list[dict[str, Any]]:
        return sorted((json.loads(c) for c in self.calls), key=lambda e: json.dumps(e, sort_keys=True))


def load_record() -> list[dict[str, Any]]:
    if not RECORD.exists():
        return []
    return json.loads(RECORD.read_text(encoding="utf-8"))["calls"]


def write_record(entries: list[dict[str, Any]]) -> None:
    ordered = sorted(entries, key=lambda e: json.dumps(e, sort_keys=True))
    document = {
        "about": "Every distinct AWS operation the test suite makes, by runtime (tests/aws_recorder.py "
        "writes it; tests/test_iam_calls.py evaluates it against template.yaml's roles).",
        "calls": ordered,
    }
    RECORD.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")


_recorder = Recorder()


def _install() -> None:
    import botocore.handlers

    botocore.handlers.BUILTIN_HANDLERS.append(("before-parameter-build", _recorder.before_parameter_build))
    botocore.handlers.BUILTIN_HANDLERS.append(("before-sign.s3", _recorder.before_sign))


_install()


def recorder() -> Recorder:
    return _recorder


class _State:
    full_run = False
    failed_tests = False


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    args = [a for a in config.invocation_params.args if not a.startswith("-")]
    selecting = (
        config.getoption("keyword") or config.getoption("markexpr") or config.getoption("lf", default=False)
    )
    _State.full_run = not selecting and all(Path(a).resolve() in (ROOT, ROOT / "tests") for a in args)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("VOLDASH_NO_AWS_RECORD"):
        return
    recorded = _recorder.entries()
    committed = load_record()
    known = {json.dumps(e, sort_keys=True) for e in committed}
    new = [e for e in recorded if json.dumps(e, sort_keys=True) not in known]
    message = ""
    if new:
        write_record(committed + new)
        message = f"{len(new)} AWS call(s) not in {RECORD.name} (now added: commit it): {new[:5]}"
    elif _State.full_run and exitstatus == 0 and session.testscollected and len(recorded) != len(committed):
        # Some calls are made only on rare paths (a lost answer's witness read under load), so a
        # quiet run that misses one does not fail; `make aws-calls-prune` drops what is no longer
        # made (AWS_CALLS_PRUNE=1: rewrite, and fail so that the change is committed).
        stale = [e for e in committed if json.dumps(e, sort_keys=True) not in set(_recorder.calls)]
        if os.environ.get("AWS_CALLS_PRUNE"):
            write_record(recorded)
            message = (
                f"{len(stale)} AWS call(s) in {RECORD.name} no longer made (removed: commit it): {stale[:5]}"
            )
        elif stale:
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(
                    f"aws calls: {len(stale)} in {RECORD.name} not made by this run (kept; "
                    f"AWS_CALLS_PRUNE=1 drops them): {stale[:3]}"
                )
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"aws calls: {_recorder.total} made, {_recorder.unattributed} by test code, "
            f"{len(recorded)} distinct by runtime"
        )
        if message:
            reporter.write_line(message, red=True)
    if message:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
