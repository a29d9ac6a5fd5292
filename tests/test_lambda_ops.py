"""The ops function runs allow-listed operator commands from a JSON event, and logs them."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from voldash_site import lambda_ops

CONTEXT = SimpleNamespace(aws_request_id="req-ops-1")


def test_an_allowed_command_runs_and_answers_with_its_output(table, caplog):
    caplog.set_level(logging.INFO, logger="voldash.ops")
    answer = lambda_ops.handler({"command": "ddb_create_table", "args": ["--shops-only"]}, CONTEXT)
    assert answer["ok"] is True and answer["command"] == "ddb_create_table"
    assert "Default shops added: " in answer["output"] and "woodshop" in answer["output"]
    start = next(r for r in caplog.records if r.getMessage() == "ops.command.start")
    assert start.command == "ddb_create_table" and start.command_args == ["--shops-only"]
    done = next(r for r in caplog.records if r.getMessage() == "ops.command.done")
    assert done.ok is True


@pytest.mark.parametrize(
    "event",
    [
        {"command": "process_inbox"},
        {"command": "deliver_outbox", "args": ["--limit", "5"]},
    ],
)
def test_the_worker_commands_run_in_the_cloud(table, event):
    answer = lambda_ops.handler(event, CONTEXT)
    assert answer["ok"] is True, answer["output"]


@pytest.mark.parametrize(
    ("event", "says"),
    [
        ({"command": "seed_demo"}, "command must be one of"),
        ({"command": "runserver"}, "command must be one of"),
        ({"command": "export_openapi", "args": ["--output", "openapi.yaml"]}, "command must be one of"),
        ({"command": "sync_clickup", "args": ["--full", "--no-such"]}, "does not take '--no-such'"),
        ({"command": "process_inbox", "args": ["--limit"]}, "--limit needs a value"),
        ({"command": "process_inbox", "args": ["--limit", "0"]}, "--limit needs a value"),
        ({"command": "process_inbox", "args": ["--limit", "1;rm"]}, "--limit needs a value"),
        ({"command": "ddb_create_table"}, None),  # allowed, refuses itself against AWS (below)
        ({"command": "sync_neon", "args": "--full"}, "args must be a list of strings"),
        (["sync_clickup"], "must be a JSON object"),
        ({"args": []}, "command must be one of"),
    ],
)
def test_anything_else_is_refused_before_it_runs(event, says, caplog, settings, table):
    if says is None:
        settings.DYNAMODB_ENDPOINT_URL = None  # as in the cloud
        answer = lambda_ops.handler(event, CONTEXT)
        assert answer["ok"] is False and "Refusing to create or change" in answer["output"]
        return
    caplog.set_level(logging.INFO, logger="voldash.ops")
    answer = lambda_ops.handler(event, CONTEXT)
    assert answer["ok"] is False and says in answer["output"]
    assert not [r for r in caplog.records if r.getMessage() == "ops.command.start"]
    assert [r for r in caplog.records if r.getMessage() == "ops.command.refused"]


def test_the_template_wires_the_ops_function_with_table_and_secret_only():
    from tests.test_deploy_templates import granted, resources

    fn = resources()["OpsFunction"]["Properties"]
    assert fn["Handler"] == "voldash_site.lambda_ops.handler"
    assert "Events" not in fn  # invoked by hand only
    actions = granted(resources()["OpsRole"])
    # s3: `deliver_outbox` attaches problem-report photos as the outbox worker does (issue 22).
    assert {a.split(":")[0] for a in actions} == {"dynamodb", "secretsmanager", "s3"}
    assert not {a for a in actions if a.startswith(("dynamodb:GetRecords", "dynamodb:Scan"))}


def test_one_command_at_a_time_a_retried_invocation_is_refused_and_says_who_runs(table):
    """`sam remote invoke` retries a synchronous call after 60 s: the second invocation (a new
    request id) must not start the same long sweep again while the first still runs."""
    from voldash_site import ops_lock

    assert ops_lock.acquire("req-first", "sync_clickup --full") is None  # the first run holds it
    second = lambda_ops.handler({"command": "process_inbox"}, SimpleNamespace(aws_request_id="req-retry"))
    assert second["ok"] is False
    assert "another ops command is running" in second["output"] and "sync_clickup --full" in second["output"]
    assert "req-first" in second["output"]
    ops_lock.release("req-retry")  # only the holder releases it
    assert lambda_ops.handler({"command": "process_inbox"}, CONTEXT)["ok"] is False
    ops_lock.release("req-first")
    assert lambda_ops.handler({"command": "process_inbox"}, CONTEXT)["ok"] is True
    # ... and each run gives the lock back, even when its command failed.
    assert ops_lock.acquire("req-next", "sync_neon") is None
    ops_lock.release("req-next")


def test_a_lock_whose_holder_died_expires(table):
    import time

    from voldash_site import ops_lock

    long_ago = time.time() - ops_lock.LOCK_SECONDS - 1
    assert ops_lock.acquire("req-dead", "backfill_feed", now=long_ago) is None
    assert lambda_ops.handler({"command": "process_inbox"}, CONTEXT)["ok"] is True
