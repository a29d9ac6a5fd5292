"""The built Lambda artifact alone serves every path (issue 22).

The artifact (``scripts/package_lambda.py``: build/lambda.zip) is unzipped into an empty
directory and run by a fresh interpreter started with ``-I -S``: no site-packages, no
PYTHONPATH, nothing but the standard library and the artifact on ``sys.path``. So a pruned
botocore model, a missing wheel or a module left out of the zip fails here, as it would in
Lambda (whose own boto3 the artifact's shadows). Through ``voldash_site.lambda_handler.handler``
with API Gateway v2 events, against emulators over HTTP:

- moto in server mode (Secrets Manager: the app's secret; SES v2: the magic-link mail; S3: the
  problem-report photos),
- DynamoDB Local (the test table): reads, a login, a claim (TransactWriteItems),
- the fake ClickUp and Neon of tests/fakes.

moto's S3 stores a POST upload without checking the POST policy's conditions or signature, so
the policy itself is read back here (bucket, key, type, size range, the credential's region).

The artifact: $VOLDASH_ARTIFACT (a zip), else build/lambda.zip when it is newer than every app
source, else one is built into a temporary directory (minutes).
"""

from __future__ import annotations

import ast
import base64
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import boto3
import pytest
import requests
from django.conf import settings

from tests.fakes.neon import FakeNeon
from tests.integrations.helpers import add_problem

ROOT = Path(__file__).resolve().parents[1]
APP_PACKAGES = ("voldash_site", "tasks", "volunteers", "shops", "integrations")
REGION = "us-east-2"
BUCKET = "voldash-smoke-uploads"
SENDER = "volunteers@asmbly.example.org"
HOST = "voldash.example.org"
JPEG = b"\xff\xd8\xff\xe0" + b"smoke" * 200

# The driver: runs inside the artifact's interpreter, answers one JSON line per request line.
DRIVER = r"""
import json, sys
art = sys.argv[1]
sys.path.insert(0, art)
leaks = [p for p in sys.path if "site-packages" in p or "dist-packages" in p]
assert not leaks, leaks
import boto3, botocore
assert botocore.__file__.startswith(art), botocore.__file__
out = sys.stdout
sys.stdout = sys.stderr  # the app's own logging never mixes with the answers
def answer(obj):
    out.write(json.dumps(obj) + "\n"); out.flush()
for line in sys.stdin:
    ask = json.loads(line)
    try:
        if "clients" in ask:
            made = []
            for name in ask["clients"]:
                boto3.client(name, region_name=ask["region"]); made.append(name)
            answer({"made": made})
        elif "event" in ask:
            from voldash_site.lambda_handler import handler
            answer(handler(ask["event"], None))
        elif "worker" in ask:
            from voldash_site import lambda_workers
            answer(getattr(lambda_workers, ask["worker"])(ask.get("input") or {}, None))
        elif "quit" in ask:
            break
    except BaseException as exc:
        import traceback
        answer({"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-3000:]})
"""


def clients_the_code_makes() -> set[str]:
    """Every ``boto3.client("name")`` / ``.resource("name")`` in our packages, and DynamoDB
    (PynamoDB makes that one). A non-literal service name would be invisible: refuse it."""
    names = {"dynamodb"}
    for package in APP_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("client", "resource")
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "boto3"
                ):
                    first = node.args[0] if node.args else None
                    assert isinstance(first, ast.Constant), f"{path}:{node.lineno}: service name not literal"
                    names.add(first.value)
    return names


def _newest_source() -> float:
    files = [p for pkg in APP_PACKAGES for p in (ROOT / pkg).rglob("*") if p.is_file()]
    files += [ROOT / "scripts" / "package_lambda.py", ROOT / "constraints.txt", ROOT / "pyproject.toml"]
    return max(p.stat().st_mtime for p in files if "__pycache__" not in p.parts)


@pytest.fixture(scope="module")
def artifact(tmp_path_factory) -> Path:
    given = os.environ.get("VOLDASH_ARTIFACT")
    archive = Path(given) if given else ROOT / "build" / "lambda.zip"
    if not given and (not archive.exists() or archive.stat().st_mtime < _newest_source()):
        out = tmp_path_factory.mktemp("build")
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "package_lambda.py"), "--out", str(out)], check=True
        )
        archive = out / "lambda.zip"
    target = tmp_path_factory.mktemp("artifact-alone")
    assert not any(target.iterdir())
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(target)
    return target


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def moto_server(monkeypatch):
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    try:
        yield url
    finally:
        server.stop()


def _event(method: str, path: str, *, body: bytes | None = None, headers=None, cookies=()) -> dict:
    query = ""
    if "?" in path:
        path, query = path.split("?", 1)
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "cookies": list(cookies),
        "headers": {
            "host": HOST,
            "x-forwarded-proto": "https",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "443",
            **({"content-type": "application/json"} if body is not None else {}),
            **(headers or {}),
        },
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"},
            "requestId": "smoke",
            "stage": "$default",
            "domainName": HOST,
            "timeEpoch": int(time.time() * 1000),
        },
        "body": base64.b64encode(body).decode() if body is not None else "",
        "isBase64Encoded": body is not None,
    }


class Artifact:
    """The artifact's interpreter, kept running (a warm Lambda container)."""

    def __init__(self, target: Path, env: dict[str, str]) -> None:
        base = getattr(sys, "_base_executable", sys.executable)
        self.proc = subprocess.Popen(
            [base, "-I", "-S", "-c", DRIVER, str(target)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=target,
        )
        self.requests = 0
        self.cookies: dict[str, str] = {}

    def ask(self, obj: dict) -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the artifact's interpreter died"
        answer = json.loads(line)
        assert "error" not in answer, answer
        return answer

    def http(self, method: str, path: str, payload=None, headers=None) -> tuple[int, dict, str]:
        body = json.dumps(payload).encode() if payload is not None else None
        if method not in ("GET", "HEAD") and "csrftoken" in self.cookies:  # as the SPA does
            headers = {
                "x-csrftoken": self.cookies["csrftoken"],
                "origin": f"https://{HOST}",
                **(headers or {}),
            }
        cookies = [f"{k}={v}" for k, v in self.cookies.items()]
        answer = self.ask({"event": _event(method, path, body=body, headers=headers, cookies=cookies)})
        self.requests += 1
        for cookie in answer.get("cookies") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        text = answer.get("body") or ""
        if answer.get("isBase64Encoded"):
            text = base64.b64decode(text).decode("utf-8", "replace")
        return answer["statusCode"], answer.get("headers") or {}, text

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(AssertionError):
                self.ask({"quit": True})
            self.proc.wait(timeout=10)


def test_the_artifact_alone_serves_mail_uploads_delivery_reads_and_a_transaction(
    artifact, moto_server, cast, table_config, clickup, slack, capsys
):
    started = time.monotonic()
    aws = {"region_name": REGION, "endpoint_url": moto_server}
    s3 = boto3.client("s3", **aws)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    boto3.client("sesv2", **aws).create_email_identity(EmailIdentity=SENDER)
    add_problem(clickup, "86smoke001", name="Jointer - Knives dull")

    with FakeNeon() as neon:
        from datetime import UTC, datetime, timedelta

        today = datetime.now(UTC).date()
        neon.add_account(
            "1001",
            first_name="Alex",
            last_name="Rivera",
            email="alex@example.org",
            individual_types=["Volunteer"],
            memberships=[
                FakeNeon.membership(start=today - timedelta(days=30), end=today + timedelta(days=300))
            ],
        )
        secret = boto3.client("secretsmanager", **aws).create_secret(
            Name="voldash-smoke-app",
            SecretString=json.dumps(
                {
                    "DJANGO_SECRET_KEY": "s" * 20 + "moke-key-for-the-artifact-test-0123456789abcdef",
                    "CLICKUP_API_TOKEN": clickup.token,
                    "NEON_ORG_ID": "asmbly",
                    "NEON_API_KEY": "neon-test-key",
                    "NEON_OAUTH_CLIENT_ID": "client",
                    "NEON_OAUTH_CLIENT_SECRET": "client-secret",
                    "NEON_WEBHOOK_USERNAME": "neon-hook",
                    "NEON_WEBHOOK_PASSWORD": "s3cret-pass",
                    "SLACK_BOT_TOKEN": settings.SLACK_BOT_TOKEN,
                }
            ),
        )
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(artifact),
            "LANG": "C.UTF-8",
            "VOLDASH_ENV": "dev",
            "VOLDASH_SECRETS_ID": secret["ARN"],
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto_server,
            "AWS_ENDPOINT_URL_SESV2": moto_server,
            "AWS_ENDPOINT_URL_S3": moto_server,
            "DYNAMODB_ENDPOINT_URL": table_config.endpoint_url,
            "DYNAMODB_TABLE": table_config.table_name,
            "DJANGO_ALLOWED_HOSTS": HOST,
            "PUBLIC_BASE_URL": f"https://{HOST}",
            "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
            "FRONTEND_URL": "/",
            "UPLOADS_BUCKET": BUCKET,
            "EMAIL_FROM": f"Asmbly Volunteer Dashboard <{SENDER}>",
            "CLICKUP_API_URL": settings.CLICKUP_API_URL,
            "SLACK_API_URL": settings.SLACK_API_URL,
            "NEON_API_URL": neon.api_url,
            "LOG_LEVEL": "WARNING",
        }
        app = Artifact(artifact, env)
        try:
            _serve_every_path(app, s3, clickup)
        finally:
            app.close()
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\nartifact smoke: {app.requests} requests through the handler in {elapsed:.1f} s")


def _serve_every_path(app: Artifact, s3, clickup) -> None:
    needed = clients_the_code_makes()
    assert {"dynamodb", "s3", "sesv2", "secretsmanager"} <= needed, needed
    assert set(app.ask({"clients": sorted(needed), "region": REGION})["made"]) == needed

    # Reads (the secret loaded from Secrets Manager at import, then DynamoDB Local).
    status, _, body = app.http("GET", "/api/v1/health")
    assert status == 200, body
    status, _, body = app.http("GET", "/api/v1/shops")
    assert status == 200 and "woodshop" in body, body

    # A magic link: the mail goes out through SES (moto), the link logs in.
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    status, _, body = app.http("GET", "/api/v1/csrf")
    assert status == 200 and "csrftoken" in app.cookies, body
    status, _, body = app.http("POST", "/auth/magic-link", {"email": "alex@example.org"})
    assert status == 202, body
    sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert len(sent) == 1 and set(sent[0].destinations) == {"alex@example.org"}
    link = re.search(r"https://" + re.escape(HOST) + r"(/auth/magic-link/[A-Za-z0-9_\-]+)", sent[0].raw_data)
    assert link, sent[0].raw_data[:2000]
    status, _, body = app.http("GET", link.group(1))
    assert status in (200, 302), body
    if status == 200:  # a confirmation page: the form posts back to the same path
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        assert token, body[:2000]
        status, _, body = _form_post(app, link.group(1), {"csrfmiddlewaretoken": token.group(1)})
    assert status == 302, body
    status, _, body = app.http("GET", "/api/v1/me")
    assert status == 200 and "1001" in body, body

    # A transaction: Alex claims a task (TransactWriteItems against DynamoDB Local).
    from tests.builders import a_task
    from voldash_site.container import get_container

    get_container().tasks.upsert(a_task(id="86smoke001", shop="general"))
    status, _, body = app.http("POST", "/api/v1/tasks/86smoke001/claim")
    assert status == 200, body
    status, _, body = app.http("GET", "/api/v1/tasks/86smoke001")
    assert status == 200 and "IN_PROGRESS" in body, body

    # A presigned POST, a plain multipart upload to moto's S3, then a report that names it.
    status, _, body = app.http("POST", "/api/v1/problem-reports/photos", {"content_type": "image/jpeg"})
    assert status == 201, body
    upload = json.loads(body)
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    assert ["content-length-range", 1, 5 * 1024 * 1024] in policy["conditions"]
    assert {"bucket": BUCKET} in policy["conditions"] and {"key": upload["key"]} in policy["conditions"]
    assert f"/{REGION}/s3/aws4_request" in upload["fields"]["x-amz-credential"]
    posted = requests.post(
        upload["url"], data=upload["fields"], files={"file": ("p.jpg", JPEG, "image/jpeg")}, timeout=10
    )
    assert posted.status_code in (200, 201, 204), posted.text
    assert s3.get_object(Bucket=BUCKET, Key=upload["key"])["Body"].read() == JPEG
    report = {
        "problem_type": "Equipment",
        "area": "Woodshop",
        "asset": "Jointer",
        "summary": "Knives dull",
        "photos": [upload["key"]],
    }
    status, _, body = app.http("POST", "/api/v1/problem-reports", report)
    assert status == 201, body
    report_id = json.loads(body)["id"]

    # Delivery (the outbox worker, as Lambda runs it): the task is created, the photo attached.
    runs = [app.ask({"worker": "outbox_handler"}) for _ in range(2)]
    stored = get_container().reports.get(report_id)
    assert stored.clickup_task_id, (runs, stored)
    attached = clickup.attachments(stored.clickup_task_id)
    assert [a["size"] for a in attached] == [len(JPEG)], attached


def _form_post(app: Artifact, path: str, form: dict[str, str]) -> tuple[int, dict, str]:
    from urllib.parse import urlencode

    body = urlencode(form).encode()
    cookies = [f"{k}={v}" for k, v in app.cookies.items()]
    event = _event(
        "POST",
        path,
        body=body,
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "origin": f"https://{HOST}",
            "referer": f"https://{HOST}{path}",
        },
        cookies=cookies,
    )
    answer = app.ask({"event": event})
    app.requests += 1
    for cookie in answer.get("cookies") or []:
        name, _, rest = cookie.partition("=")
        app.cookies[name.strip()] = rest.split(";", 1)[0]
    return answer["statusCode"], answer.get("headers") or {}, answer.get("body") or ""


def test_the_interpreter_sees_no_site_packages():
    """The premise: ``-I -S`` on the base interpreter leaves only the standard library."""
    base = getattr(sys, "_base_executable", sys.executable)
    paths = subprocess.run(
        [base, "-I", "-S", "-c", "import sys, json; print(json.dumps(sys.path))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert not [p for p in json.loads(paths) if "site-packages" in p], paths
    assert sysconfig.get_python_version() == "3.11"
