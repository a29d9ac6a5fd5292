"""The background Lambda handlers call the same use cases as the commands."""

from __future__ import annotations

from integrations.outbox.domain import OutboxStatus
from tests.integrations.helpers import add_problem, post_webhook
from tests.tasks.test_lifecycle_api import ALEX, as_
from voldash_site import lambda_workers
from voldash_site.container import get_container


def stream_record(pk: str, event_name: str = "INSERT") -> dict:
    return {"eventName": event_name, "dynamodb": {"Keys": {"PK": {"S": pk}, "SK": {"S": "X"}}}}


def test_inbox_then_outbox_handlers_from_stream_and_schedule(cast, clickup, slack):
    add_problem(clickup, "86lw0001")
    post_webhook(clickup, "taskCreated", "86lw0001")
    assert lambda_workers.inbox_handler({"Records": []}, None) == {"done": 1, "ignored": 0, "failed": 0}
    as_(ALEX).post("/api/v1/tasks/86lw0001/claim")
    [_clickup_msg, slack_msg] = sorted(
        get_container().outbox.list_by_status(OutboxStatus.PENDING), key=lambda m: m.channel.value
    )
    # The stream delivers exactly the new item it carries...
    result = lambda_workers.outbox_handler(
        {"Records": [stream_record(f"OUTBOX#{slack_msg.id}"), stream_record("TASK#86lw0001")]}, None
    )
    assert result["sent"] == 1 and len(slack.messages) == 1
    # ...and the schedule sweeps up whatever is still due.
    assert lambda_workers.outbox_handler({}, None)["sent"] == 1
    assert clickup.task("86lw0001")["status"]["status"] == "in progress"


def test_reconcile_handler_runs_a_sweep(cast, clickup):
    add_problem(clickup, "86lw0002")
    stats = lambda_workers.reconcile_handler({"full": True}, None)
    assert stats["created"] == 1 and get_container().tasks.get("86lw0002") is not None
