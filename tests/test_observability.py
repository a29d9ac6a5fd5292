"""Logs that can be followed (every line of a request carries the Lambda and API Gateway request
ids; worker lines carry the event or message id) and workers that wait, visibly, for the secret."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

from django.conf import settings as django_settings

from tests.test_deploy import CLOUD_SECRETS, run_python
from voldash_site.log_context import ContextFilter


class Capture(logging.Handler):
    """Like the configured stdout handler: the same context filter, records kept."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(ContextFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def capture() -> Capture:
    handler = Capture()
    logging.getLogger().addHandler(handler)
    return handler


def test_the_configured_log_handler_adds_the_context():
    assert "context" in django_settings.LOGGING["handlers"]["stdout"]["filters"]
    assert django_settings.MIDDLEWARE[0] == "voldash_site.middleware.RequestContextMiddleware"


def test_every_request_line_carries_the_lambda_and_api_gateway_request_ids(table):
    from voldash_site.lambda_handler import handler

    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/api/v1/tasks/nope",
        "rawQueryString": "",
        "headers": {"host": "testserver", "x-forwarded-proto": "https"},
        "requestContext": {
            "requestId": "apigw-abc123=",
            "http": {
                "method": "GET",
                "path": "/api/v1/tasks/nope",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "t",
            },
        },
        "isBase64Encoded": False,
    }
    logs = capture()
    try:
        handler(event, SimpleNamespace(aws_request_id="lambda-req-42"))
    finally:
        logging.getLogger().removeHandler(logs)
    ours = [r for r in logs.records if r.name.startswith("voldash")]
    assert any(r.getMessage() == "http.request" for r in ours)
    for record in ours:
        assert record.aws_request_id == "lambda-req-42", record.getMessage()
        assert record.apigw_request_id == "apigw-abc123=", record.getMessage()
    # and nothing leaks into the next unit of work
    logging.getLogger("voldash.test").warning("after")
    assert not hasattr(logs.records[-1], "aws_request_id") or logs.records[-1].name != "voldash.test"


def test_worker_lines_carry_the_event_id():
    from datetime import UTC, datetime

    from integrations.inbox.domain import InboxStatus
    from integrations.inbox.processing import InboxReport, process_event

    class Inbox:
        def lease(self, event, now):
            return True

        def finish(self, *args):
            pass

    def handle(event):
        logging.getLogger("voldash.sync").warning("clickup.task.fetched")
        return InboxStatus.DONE, "ok"

    event = SimpleNamespace(
        id="evt-77", source="clickup", attempts=0, subject_id="86obs", received_at=datetime.now(UTC)
    )
    logs = capture()
    try:
        process_event(
            event, inbox=Inbox(), handlers={"clickup": handle}, now=datetime.now(UTC), report=InboxReport()
        )
    finally:
        logging.getLogger().removeHandler(logs)
    [line] = [r for r in logs.records if r.getMessage() == "clickup.task.fetched"]
    assert line.event_id == "evt-77"


WAITING_PROBE = """
import json, os
from moto import mock_aws
with mock_aws():
    import boto3
    sm = boto3.client("secretsmanager", region_name="us-east-2")
    generated = json.dumps({"DJANGO_SECRET_KEY": FILLED["DJANGO_SECRET_KEY"]})
    arn = sm.create_secret(Name="app", SecretString=generated)["ARN"]
    os.environ["VOLDASH_SECRETS_ID"] = arn
    from voldash_site import lambda_workers
    first = lambda_workers.reconcile_handler({"full": False}, None)
    second = lambda_workers.outbox_handler({}, None)
    sm.put_secret_value(SecretId=arn, SecretString=json.dumps(FILLED))
    from django.conf import settings
    ready = lambda_workers.secrets_ready()
    key_ok = settings.SECRET_KEY == FILLED["DJANGO_SECRET_KEY"]
    print(json.dumps({"first": first, "second": second, "ready": ready,
                      "token": settings.CLICKUP_API_TOKEN, "key": key_ok}))
"""


def test_workers_idle_visibly_until_the_secret_is_filled_in():
    filled = {**CLOUD_SECRETS}  # DJANGO_SECRET_KEY: generated at create, kept when filled in
    result = run_python(
        f"FILLED = {filled!r}\n" + WAITING_PROBE,
        {
            "VOLDASH_ENV": "prod",
            "VOLDASH_WAIT_FOR_SECRETS": "true",
            "AWS_REGION": "us-east-2",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    out = json.loads(lines[-1])
    assert out["first"] == out["second"] == {"status": "waiting_for_secrets"}
    metrics = [json.loads(line) for line in lines if '"_aws"' in line]
    assert [m["WorkersWaitingForSecrets"] for m in metrics] == [1, 1]
    assert metrics[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "voldash"
    warnings = [
        json.loads(line) for line in result.stderr.splitlines() if "worker.waiting_for_secrets" in line
    ]
    assert len(warnings) == 2 and "CLICKUP_API_TOKEN" in warnings[0]["missing"]
    assert warnings[0]["worker"] == "reconcile" and warnings[1]["worker"] == "outbox"
    assert out["ready"] is True and out["token"] == CLOUD_SECRETS["CLICKUP_API_TOKEN"] and out["key"]


def test_without_the_wait_switch_the_cloud_still_refuses_to_start():
    result = run_python(
        "from voldash_site import lambda_workers", {"VOLDASH_ENV": "prod", "AWS_REGION": "us-east-2"}
    )
    assert result.returncode != 0 and "missing required secrets" in result.stderr
